// text/float_text.h - floats written the way OTP 25's io_lib writes them
// (io_lib_format:fwrite_g): the shortest digits that read back to the same
// double, laid out in whichever of plain decimal (123.5, 0.001) and
// scientific (1.0e-5) form is shorter, plain on a tie, and never plain for
// whole numbers at or above 2^53. Pure functions; thread safe.
#pragma once

#include <string>

namespace beamlink::text {

// REQUIRES: value is finite (Erlang has no NaN or infinity); non-finite
// values print as "nan", "inf" or "-inf", which do not read back.
std::string format_float(double value);

}  // namespace beamlink::text
