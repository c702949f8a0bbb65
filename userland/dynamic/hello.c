/* A dynamically linked musl program: the kernel loads /lib/ld-musl-x86_64.so.1
 * (PT_INTERP) from the process's own root, and ld.so maps libc with mmap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    char *p = malloc(1 << 20);
    memset(p, 'x', 1 << 20);
    printf("dynamic musl: argc=%d heap=%d env=%s\n", argc, p[12345] == 'x', getenv("HOME") ? "yes" : "no");
    return 7;
}
