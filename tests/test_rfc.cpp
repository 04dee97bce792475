// RFC 9110/9112 conformance of the request reader, one test per requirement (being written).
#include <doctest/doctest.h>
