"The course's tests; a package, so that the benchmarks can share its browser helpers (`from tests import labkit`)"
