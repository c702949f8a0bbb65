/* glibc stdio on files, directories and the password database: what
 * small command-line tools do. */
#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
    const char *dir = "/tmp/glibc-files";
    mkdir(dir, 0755);
    char path[256];
    snprintf(path, sizeof path, "%s/data.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d %s\n", i, i % 2 ? "odd" : "even");
    fclose(f);
    struct stat st;
    stat(path, &st);
    printf("wrote %lld bytes\n", (long long)st.st_size);
    f = fopen(path, "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f)) lines++;
    fseek(f, -9, SEEK_END);
    fgets(line, sizeof line, f);
    printf("read %d lines, ftell %ld, tail %s", lines, ftell(f), line);
    fclose(f);
    f = fopen(path, "a+");
    fputs("appended\n", f);
    rewind(f);
    int c = fgetc(f);
    fclose(f);
    printf("a+ reads from the start: %c\n", c);
    char other[256];
    snprintf(other, sizeof other, "%s/renamed.txt", dir);
    rename(path, other);
    snprintf(path, sizeof path, "%s/second", dir);
    fclose(fopen(path, "w"));
    DIR *d = opendir(dir);
    char *names[16];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) printf("entry %s\n", names[i]);
    unlink(other);
    unlink(path);
    printf("rmdir: %d\n", rmdir(dir));
    char cwd[256];
    chdir("/tmp");
    printf("cwd %s\n", getcwd(cwd, sizeof cwd));
    struct passwd *pw = getpwuid(0);
    printf("uid 0 is %s with home %s\n", pw ? pw->pw_name : "?", pw ? pw->pw_dir : "?");
    return 0;
}
