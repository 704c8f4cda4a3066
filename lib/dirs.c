/* Results folders; see dirs.h. */
#include "dirs.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int dirs_make(const char *path)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

void dirs_stamped(char *out, size_t n, const char *parent, const char *name)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32] = "0";
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(out, n, "%s/%s-%s", parent, name, stamp);
    for (int k = 2; access(out, F_OK) == 0 && k < 100; k++)
        snprintf(out, n, "%s/%s-%s-%d", parent, name, stamp, k);
}
