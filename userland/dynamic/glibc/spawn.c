/* glibc's process creation: posix_spawn (clone with CLONE_VM|CLONE_VFORK
 * on a separate stack) with file actions, a pipe to read the child's
 * output, and the exit status through waitpid; then fork + execv. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        printf("child says %s, stdin is /dev/null: %d\n", argv[2], getchar() == EOF);
        return 5;
    }
    int fds[2];
    if (pipe(fds) < 0) return 1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    char *child_argv[] = { argv[0], "child", "hello", NULL };
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &actions, NULL, child_argv, environ);
    close(fds[1]);
    printf("posix_spawn: %d\n", err);
    char buf[256];
    ssize_t n, total = 0;
    while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
    buf[total] = 0;
    printf("read from the child: %s", buf);
    int st;
    waitpid(pid, &st, 0);
    printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    err = posix_spawn(&pid, "/nonexistent/program", NULL, NULL, child_argv, environ);
    printf("posix_spawn of a missing program: %s\n", strerror(err));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char *again[] = { argv[0], "child", "after fork", NULL };
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        execv(argv[0], again);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    printf("fork+exec child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
