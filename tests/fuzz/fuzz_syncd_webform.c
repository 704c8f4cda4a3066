/* Fuzz target for what a browser sends syncd's ops page: the Cookie
 * header and the login and Replay forms (engine/syncd/webform.c). The
 * same bytes go to both readers, as a header (cut at the first NUL, as
 * MHD hands headers over) and as a form body (whole). */
#include "fuzz.h"

#include "mem.h"
#include "webform.h"

#include <stdlib.h>
#include <string.h>

FUZZ_TARGET(syncd_webform)
{
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char buf[80];
    webform_cookie(text, "syncd_admin", buf, sizeof buf);
    webform_cookie(text, "", buf, 1);
    webform_field(text, size, "token", buf, sizeof buf);
    webform_field(text, size, "csrf", buf, 1);
    free(text);
}
