// Nothing to compile: the header declares a function libFuzzer defines.
#include "CFuzzDriver.h"
