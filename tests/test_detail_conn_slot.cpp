// detail::conn_slot: a fresh slot is on no list and owes the worker nothing.
#include <minihttp/detail/conn_slot.hpp>

#include <doctest/doctest.h>

TEST_CASE("conn_slot: a fresh slot is not live, not waiting, and assumes the socket writable") {
    const http::detail::conn_slot s;
    CHECK_FALSE(s.live);
    CHECK_FALSE(s.waiting);
    CHECK(s.waiting_events == 0);
    CHECK(s.wait_prev == nullptr);
    CHECK(s.wait_next == nullptr);
    CHECK_FALSE(s.read_ready);
    CHECK(s.write_ready); // edge-triggered: the first EPOLLOUT may never come
    CHECK(s.counted);
}

TEST_CASE("engine_shared: no connection is open at first") {
    const http::detail::engine_shared shared;
    CHECK(shared.open_connections.load() == 0);
}
