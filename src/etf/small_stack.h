// etf/small_stack.h - a LIFO stack whose first N elements live inline.
//
// The decoder keeps one frame per open container; ordinary messages nest a
// few levels deep, so with the first frames inline a decode allocates
// nothing for its stack and constructs frames only as they are pushed.
// References returned by back() stay valid until that element is popped.
// Not thread safe.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace beamlink::etf {

template <class T, size_t N>
class SmallStack {
 public:
  SmallStack() = default;
  SmallStack(const SmallStack&) = delete;
  SmallStack& operator=(const SmallStack&) = delete;
  ~SmallStack() {
    while (size_ > 0) pop();
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  T& back() { return size_ <= N ? inline_[size_ - 1].value : overflow_.back(); }
  // Pushes a value-initialised T.
  T& push() {
    if (size_ < N) {
      T* slot = std::construct_at(&inline_[size_].value);
      ++size_;
      return *slot;
    }
    ++size_;
    return overflow_.emplace_back();
  }
  void pop() {
    if (size_ > N) {
      overflow_.pop_back();
    } else {
      std::destroy_at(&inline_[size_ - 1].value);
    }
    --size_;
  }

 private:
  // Storage without construction: a slot holds a T only while it is pushed.
  union Slot {
    Slot() {}
    ~Slot() {}
    T value;
  };
  Slot inline_[N];
  std::vector<T> overflow_;
  size_t size_ = 0;
};

}  // namespace beamlink::etf
