// The doctest runner. Test files are named after the header they test and include it first.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
