/* glibc, dynamically linked: arguments, environment, the heap (brk and
 * mmap-sized chunks), stdio formatting (floating point goes through SSE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv) {
    printf("glibc hello: argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("HOME set: %d, PATH set: %d\n", getenv("HOME") != NULL, getenv("PATH") != NULL);
    char *small = malloc(100);
    char *big = malloc(8 << 20); /* above the mmap threshold */
    memset(big, 'x', 8 << 20);
    strcpy(small, "small");
    char *grown = realloc(small, 1 << 20);
    int *nums = calloc(1000, sizeof *nums);
    for (int i = 0; i < 1000; i++) nums[i] = (i * 7919) % 1000;
    qsort(nums, 1000, sizeof *nums, by_value);
    int sorted = 1;
    for (int i = 0; i < 1000; i++) sorted &= nums[i] == i;
    printf("heap: big=%d grown=%s sorted=%d\n", big[(8 << 20) - 1] == 'x', grown, sorted);
    free(big);
    free(grown);
    free(nums);
    char *dup = strdup("duplicated");
    printf("strdup: %s, %.3f %g %e\n", dup, 3.14159265, 1.0 / 3, 6.02e23);
    free(dup);
    printf("strtod: %.6f\n", strtod("2.718281828", NULL));
    return 7;
}
