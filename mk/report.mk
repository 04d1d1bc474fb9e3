# Compliance reports (report/): the Makefile already compiles report/*.c
# into the archive; unit tests include report.h from here.
CPPFLAGS += -Ireport
