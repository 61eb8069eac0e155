/* libbz2 (Debian libbz2-dev; it ships no pkg-config file, hence the plain `link "bz2"`). */
#include <bzlib.h>
