#!/usr/bin/env python3
"""slow_proxy: a TCP proxy on 127.0.0.1 that plays a peer reading slowly.

Bytes from the target back to the client pass at once (so the target's
ticks and answers still arrive); bytes from the client to the target pass
freely for their first --free-bytes or --stall-after seconds, whichever
ends first (the handshake and a first ping), then at --rate bytes per
second, and not at all when --rate is 0: the client's writes then back up
as they would towards a peer that stopped reading its socket. Used by
bench/compare_load.sh. Prints "ready" once listening; exits after
--max-seconds.

  slow_proxy.py --listen PORT --target PORT [--rate B/S] [--stall-after S]
                [--free-bytes N]
"""
import argparse
import asyncio
import time


async def pass_through(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    writer.close()


async def throttled(reader, writer, rate, stall_after, free_bytes):
    start = time.monotonic()
    passed = 0
    try:
        while True:
            free = passed < free_bytes and time.monotonic() - start < stall_after
            if free:
                data = await reader.read(free_bytes - passed)
            elif rate == 0:
                await asyncio.sleep(1)  # read nothing: the client's bytes back up
                continue
            else:
                data = await reader.read(max(1, min(65536, rate // 10)))
            if not data:
                break
            passed += len(data)
            writer.write(data)
            await writer.drain()
            if not free:
                await asyncio.sleep(len(data) / rate)
    except (ConnectionError, OSError):
        pass
    writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--rate", type=int, default=0)
    parser.add_argument("--stall-after", type=float, default=5.0)
    parser.add_argument("--free-bytes", type=int, default=16384)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()

    async def on_client(client_reader, client_writer):
        target_reader, target_writer = await asyncio.open_connection("127.0.0.1", args.target)
        await asyncio.gather(
            pass_through(target_reader, client_writer),
            throttled(client_reader, target_writer, args.rate, args.stall_after,
                      args.free_bytes))

    server = await asyncio.start_server(on_client, "127.0.0.1", args.listen)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(args.max_seconds)


if __name__ == "__main__":
    asyncio.run(main())
