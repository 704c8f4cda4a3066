/* engine/core holds the engine's decisions as pure functions over plain
 * structs: it includes nothing of cJSON, the store, the HTTP client or the
 * daemon's context, only its own headers, the C library and three pure
 * parts of lib/ (mem, rng, backoff), so the simulator can link it alone.
 * This reads every file of engine/core and fails on any other include. */
#include "../runner.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int core_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "engine/core/%s", name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

static int allowed(const char *inc)
{
    static const char *const lib[] = {"mem.h", "rng.h", "backoff.h", NULL};
    for (const char *const *p = lib; *p; p++)
        if (strcmp(inc, *p) == 0)
            return 1;
    return core_file(inc);
}

TEST(core_pure, engine_core_includes_no_io_and_no_daemon)
{
    DIR *d = opendir("engine/core");
    EXPECT_TRUE(d != NULL);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 3 || (strcmp(e->d_name + n - 2, ".c") != 0 && strcmp(e->d_name + n - 2, ".h") != 0))
            continue;
        char path[512];
        snprintf(path, sizeof path, "engine/core/%s", e->d_name);
        char *text = test_read_file(path);
        EXPECT_TRUE(text != NULL);
        files++;
        for (char *line = text; line && *line;) {
            char *next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            char inc[128];
            if (sscanf(line, "#include \"%127[^\"]\"", inc) == 1 && !allowed(inc))
                test_fail(__FILE__, __LINE__, "%s includes \"%s\": engine/core must stay pure", path,
                          inc);
            if (strstr(line, "cJSON") || strstr(line, "store_") || strstr(line, "syncd"))
                if (!strstr(line, "*") && !strstr(line, "//"))
                    test_fail(__FILE__, __LINE__, "%s: \"%s\" names I/O or the daemon", path, line);
            line = next;
        }
        free(text);
    }
    closedir(d);
    EXPECT_GE_INT(files, 20);
}
