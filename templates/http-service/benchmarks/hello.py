"""The baseline for `invoke bench`: the smallest ASGI app, on the same server stack (uvicorn).

    python benchmarks/hello.py --port 8001

It answers every request 200 {"status": "ok"}: whatever your service costs beyond this is your
code (routing, the database, JSON), not the server's.
"""

import argparse

import uvicorn

BODY = b'{"status":"ok"}'


async def app(scope, receive, send):
    """Answer every HTTP request with a small JSON body."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    opts = parser.parse_args()
    uvicorn.run(
        app, host=opts.host, port=opts.port, log_level="warning", lifespan="off"
    )


if __name__ == "__main__":
    main()
