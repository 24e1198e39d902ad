"""Tools for tests, demos and benchmarks: a real HTTP server on 127.0.0.1 serving fixture sites."""
