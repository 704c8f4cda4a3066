/*
 * Helpers around cJSON for reading configs, scenarios, fault plans and API
 * bodies: every error names the JSON path of the bad field ("$.streams[2].rate:
 * expected a number, got a string"), syntax errors name line and column, and
 * unknown keys can be rejected by listing the known ones.
 *
 * Getters leave *out untouched when an optional key is absent, so callers set
 * defaults first. Strings returned are borrowed from the cJSON tree.
 */
#ifndef SURGE_JSON_H
#define SURGE_JSON_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char msg[512];
} json_err;

enum { JSON_OPTIONAL = 0, JSON_REQUIRED = 1 };

/* Parses len bytes of text (need not be NUL-terminated). Returns a tree the
 * caller frees with cJSON_Delete, or NULL with "line L, column C: ..." in e. */
cJSON *json_parse(const char *text, size_t len, json_err *e);
/* Reads and parses a file of at most max_bytes; errors start with the path. */
cJSON *json_load_file(const char *path, size_t max_bytes, json_err *e);

/* Sets e to "path: message" and returns -1. */
int json_fail(json_err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Child paths: "$.a" + "b" → "$.a.b" (keys that are not identifiers become
 * ["k"]); "$.a" + 2 → "$.a[2]". Truncated to n bytes. */
void json_path_key(char *out, size_t n, const char *parent, const char *key);
void json_path_index(char *out, size_t n, const char *parent, size_t i);
/* "an object", "a string", ... for messages. */
const char *json_type_name(const cJSON *v);

/* obj must be an object whose keys are all in the NULL-terminated list. */
int json_only_keys(const cJSON *obj, const char *path, const char *const *allowed,
                   json_err *e);

int json_get_str(const cJSON *obj, const char *path, const char *key, int required,
                 const char **out, json_err *e);
/* json_get_str into a malloc'd copy (caller frees): the string, or a copy
 * of dflt (NULL stays NULL) when the key is absent; *out is untouched on an
 * error. */
int json_get_strdup(const cJSON *obj, const char *path, const char *key, int required,
                    const char *dflt, char **out, json_err *e);
/* An integral number within [min, max]. */
int json_get_int(const cJSON *obj, const char *path, const char *key, int required,
                 int64_t min, int64_t max, int64_t *out, json_err *e);
int json_get_num(const cJSON *obj, const char *path, const char *key, int required,
                 double min, double max, double *out, json_err *e);
int json_get_bool(const cJSON *obj, const char *path, const char *key, int required,
                  int *out, json_err *e);
/* A non-negative duration: a number of milliseconds or a string such as
 * "250ms", "5m", "1h30m" (clock_parse_duration). */
int json_get_duration(const cJSON *obj, const char *path, const char *key, int required,
                      int64_t *out_ms, json_err *e);
/* Sub-trees of the given type, borrowed. */
int json_get_obj(const cJSON *obj, const char *path, const char *key, int required,
                 const cJSON **out, json_err *e);
int json_get_arr(const cJSON *obj, const char *path, const char *key, int required,
                 const cJSON **out, json_err *e);

/* The integer part of number v when a double holds it exactly (within
 * +-2^53, as ids and quantities from outside must be): 1 with *out, else 0
 * (not a number, beyond, not a number at all) with *out untouched. Casting
 * a larger double to int64_t would be undefined. */
int json_int53(const cJSON *v, int64_t *out);

/* Applies "a.b[2].c=value" to root (what --set flags do): objects on the
 * way are created as needed, array indexes must exist; a value that parses
 * as JSON is used as JSON, anything else as a string. Returns 0, or -1 with
 * e naming the spec and what was wrong. */
int json_set_path(cJSON *root, const char *spec, json_err *e);

/* Merges src into dst: objects on both sides merge member by member and
 * arrays element by element (src's extra elements are appended), both
 * recursively; anything else in src replaces (a copy of) what dst had. */
void json_merge(cJSON *dst, const cJSON *src);
/* Moves every item of array from to the end of array to, in order (from
 * ends empty); either may be NULL (then nothing moves). */
void json_array_move(cJSON *to, cJSON *from);

/* Compact text of v; malloc'd, caller frees with free(). */
char *json_print(const cJSON *v);

/* An id as text into buf: a number printed whole ("4501"), a string as it
 * is. Returns 0, or -1 with buf "" when v is neither (or NULL). */
int json_id_text(const cJSON *v, char *buf, size_t n);

#endif
