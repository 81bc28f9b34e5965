/* The smallest useful guest program: prints a line and its arguments and
   exits 0. The first thing to get running on a new target. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("hello, world\n");
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
}
