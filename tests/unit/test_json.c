/* JSON helpers: paths in errors, typed getters, unknown keys, files. */
#include "../runner.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>

static cJSON *parse(const char *text)
{
    json_err e;
    cJSON *v = json_parse(text, strlen(text), &e);
    if (!v)
        test_fail(__FILE__, __LINE__, "parse failed: %s", e.msg);
    return v;
}

TEST(json, syntax_error_names_line_and_column)
{
    json_err e;
    cJSON *v;
    const char *text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    EXPECT_TRUE(json_parse(text, strlen(text), &e) == NULL);
    EXPECT_CONTAINS(e.msg, "line 3");
    EXPECT_CONTAINS(e.msg, "invalid JSON");
    EXPECT_TRUE(json_parse("{\"a\":", 5, &e) == NULL);
    EXPECT_CONTAINS(e.msg, "unexpected end");
    EXPECT_TRUE(json_parse("{}\n x", 5, &e) == NULL);
    EXPECT_EQ_STR(e.msg, "line 2, column 2: unexpected text after the JSON value");
    v = json_parse("{} \n", 4, &e);
    EXPECT_TRUE(v != NULL);
    cJSON_Delete(v);
    /* Length-bounded: bytes after len are not read. */
    v = json_parse("[1]garbage", 3, &e);
    EXPECT_TRUE(v != NULL);
    cJSON_Delete(v);
}

TEST(json, paths)
{
    char p[128];
    json_path_key(p, sizeof p, "$", "streams");
    EXPECT_EQ_STR(p, "$.streams");
    json_path_index(p, sizeof p, "$.streams", 2);
    EXPECT_EQ_STR(p, "$.streams[2]");
    json_path_key(p, sizeof p, "$.gates", "order_push_latency_ms.p99");
    EXPECT_EQ_STR(p, "$.gates[\"order_push_latency_ms.p99\"]");
}

TEST(json, typed_getters_and_their_errors)
{
    cJSON *v = parse("{\"name\":\"x\",\"n\":5,\"f\":2.5,\"b\":true,\"d\":\"5m\",\"dn\":250,"
                     "\"o\":{},\"a\":[1],\"neg\":-1,\"nul\":null}");
    json_err e;
    const char *s = NULL;
    int64_t i = 0;
    double d = 0;
    int b = 0;
    const cJSON *sub = NULL;
    EXPECT_EQ_INT(json_get_str(v, "$", "name", JSON_REQUIRED, &s, &e), 0);
    EXPECT_EQ_STR(s, "x");
    EXPECT_EQ_INT(json_get_int(v, "$", "n", JSON_REQUIRED, 0, 10, &i, &e), 0);
    EXPECT_EQ_INT(i, 5);
    EXPECT_EQ_INT(json_get_num(v, "$", "f", JSON_REQUIRED, 0, 10, &d, &e), 0);
    EXPECT_NEAR(d, 2.5, 0);
    EXPECT_EQ_INT(json_get_bool(v, "$", "b", JSON_REQUIRED, &b, &e), 0);
    EXPECT_EQ_INT(b, 1);
    EXPECT_EQ_INT(json_get_duration(v, "$", "d", JSON_REQUIRED, &i, &e), 0);
    EXPECT_EQ_INT(i, 300000);
    EXPECT_EQ_INT(json_get_duration(v, "$", "dn", JSON_REQUIRED, &i, &e), 0);
    EXPECT_EQ_INT(i, 250);
    EXPECT_EQ_INT(json_get_obj(v, "$", "o", JSON_REQUIRED, &sub, &e), 0);
    EXPECT_TRUE(cJSON_IsObject(sub));
    EXPECT_EQ_INT(json_get_arr(v, "$", "a", JSON_REQUIRED, &sub, &e), 0);
    EXPECT_TRUE(cJSON_IsArray(sub));

    /* Optional and absent (or null): untouched. */
    i = 77;
    EXPECT_EQ_INT(json_get_int(v, "$", "missing", JSON_OPTIONAL, 0, 10, &i, &e), 0);
    EXPECT_EQ_INT(i, 77);
    EXPECT_EQ_INT(json_get_int(v, "$", "nul", JSON_OPTIONAL, 0, 10, &i, &e), 0);
    EXPECT_EQ_INT(i, 77);

    EXPECT_EQ_INT(json_get_int(v, "$.x", "missing", JSON_REQUIRED, 0, 10, &i, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.x.missing: required field is missing");
    EXPECT_EQ_INT(json_get_int(v, "$", "name", JSON_REQUIRED, 0, 10, &i, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.name: expected a number, got a string");
    EXPECT_EQ_INT(json_get_int(v, "$", "f", JSON_REQUIRED, 0, 10, &i, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.f: expected an integer, got 2.5");
    EXPECT_EQ_INT(json_get_int(v, "$", "n", JSON_REQUIRED, 6, 10, &i, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.n: 5 is out of range [6, 10]");
    EXPECT_EQ_INT(json_get_num(v, "$", "f", JSON_REQUIRED, 0, 1, &d, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.f: 2.5 is out of range");
    EXPECT_EQ_INT(json_get_str(v, "$", "n", JSON_REQUIRED, &s, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.n: expected a string, got a number");
    EXPECT_EQ_INT(json_get_bool(v, "$", "n", JSON_REQUIRED, &b, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.n: expected true or false");
    EXPECT_EQ_INT(json_get_duration(v, "$", "name", JSON_REQUIRED, &i, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.name: bad duration \"x\"");
    EXPECT_EQ_INT(json_get_duration(v, "$", "neg", JSON_REQUIRED, &i, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.neg: expected a non-negative duration");
    EXPECT_EQ_INT(json_get_duration(v, "$", "b", JSON_REQUIRED, &i, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.b: expected a duration");
    EXPECT_EQ_INT(json_get_obj(v, "$", "a", JSON_REQUIRED, &sub, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.a: expected an object, got an array");
    EXPECT_EQ_INT(json_get_arr(v, "$", "o", JSON_REQUIRED, &sub, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.o: expected an array, got an object");
    EXPECT_EQ_INT(json_get_str(v, "$", "nul", JSON_REQUIRED, &s, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.nul: expected a string, got null");
    /* Asking a non-object for a key names the parent. */
    EXPECT_EQ_INT(json_get_str(cJSON_GetObjectItem(v, "a"), "$.a", "k", JSON_OPTIONAL, &s, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.a: expected an object, got an array");
    cJSON_Delete(v);
}

TEST(json, unknown_keys_are_named)
{
    cJSON *v = parse("{\"name\":\"x\",\"colour\":\"red\"}");
    json_err e;
    const char *known[] = {"name", "seed", NULL};
    EXPECT_EQ_INT(json_only_keys(v, "$.shops[1]", known, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.shops[1].colour: unknown field (known: name, seed)");
    const char *all[] = {"name", "colour", NULL};
    EXPECT_EQ_INT(json_only_keys(v, "$", all, &e), 0);
    cJSON_Delete(v);
    v = parse("[1]");
    EXPECT_EQ_INT(json_only_keys(v, "$", all, &e), -1);
    EXPECT_EQ_STR(e.msg, "$: expected an object, got an array");
    cJSON_Delete(v);
}

TEST(json, load_file_errors_name_the_file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bad.json", test_tmp_dir());
    test_write_file(path, "{\n\"a\": [1, 2,,]\n}\n");
    json_err e;
    EXPECT_TRUE(json_load_file(path, 1 << 20, &e) == NULL);
    EXPECT_CONTAINS(e.msg, path);
    EXPECT_CONTAINS(e.msg, "line 2");
    EXPECT_TRUE(json_load_file(path, 4, &e) == NULL);
    EXPECT_CONTAINS(e.msg, "larger than the 4-byte limit");
    snprintf(path, sizeof path, "%s/missing.json", test_tmp_dir());
    EXPECT_TRUE(json_load_file(path, 1 << 20, &e) == NULL);
    EXPECT_CONTAINS(e.msg, "cannot open");
    snprintf(path, sizeof path, "%s/good.json", test_tmp_dir());
    test_write_file(path, "{\"ok\": [true]}");
    cJSON *v = json_load_file(path, 1 << 20, &e);
    EXPECT_TRUE(v != NULL);
    char *text = json_print(v);
    EXPECT_EQ_STR(text, "{\"ok\":[true]}");
    free(text);
    cJSON_Delete(v);
}

TEST(json, set_path_overrides)
{
    cJSON *v = parse("{\"a\":{\"b\":1},\"list\":[{\"x\":1},{\"x\":2}]}");
    json_err e;
    EXPECT_EQ_INT(json_set_path(v, "a.b=5", &e), 0);
    EXPECT_EQ_INT(json_set_path(v, "a.c.d=\"deep\"", &e), 0);
    EXPECT_EQ_INT(json_set_path(v, "list[1].x=[1,2]", &e), 0);
    EXPECT_EQ_INT(json_set_path(v, "list[0]={\"y\":true}", &e), 0);
    EXPECT_EQ_INT(json_set_path(v, "name=plain text", &e), 0);
    char *text = json_print(v);
    EXPECT_EQ_STR(text, "{\"a\":{\"b\":5,\"c\":{\"d\":\"deep\"}},\"list\":[{\"y\":true},"
                        "{\"x\":[1,2]}],\"name\":\"plain text\"}");
    free(text);
    EXPECT_EQ_INT(json_set_path(v, "list[7].x=1", &e), -1);
    EXPECT_CONTAINS(e.msg, "index 7 is not in the array");
    EXPECT_EQ_INT(json_set_path(v, "a.b.c=1", &e), -1);
    EXPECT_CONTAINS(e.msg, "not inside an object");
    EXPECT_EQ_INT(json_set_path(v, "novalue", &e), -1);
    EXPECT_CONTAINS(e.msg, "expected path=value");
    EXPECT_EQ_INT(json_set_path(v, "list[x]=1", &e), -1);
    EXPECT_CONTAINS(e.msg, "bad index");
    cJSON_Delete(v);
}

TEST(json, merge_objects_recursively)
{
    cJSON *dst = parse("{\"a\":{\"x\":1,\"y\":2},\"b\":[1],\"c\":\"keep\"}");
    cJSON *src = parse("{\"a\":{\"y\":3,\"z\":{\"deep\":true}},\"b\":{\"now\":\"object\"},\"d\":null}");
    json_merge(dst, src);
    char *t = json_print(dst);
    EXPECT_EQ_STR(t, "{\"a\":{\"x\":1,\"y\":3,\"z\":{\"deep\":true}},\"b\":{\"now\":\"object\"},"
                     "\"c\":\"keep\",\"d\":null}");
    free(t);
    cJSON_Delete(dst);
    cJSON_Delete(src);
    /* Arrays merge element by element: shops[0] gains a field, extras append. */
    dst = parse("{\"shops\":[{\"domain\":\"a\",\"n\":1},{\"domain\":\"b\"}],\"list\":[1,2]}");
    src = parse("{\"shops\":[{\"buffer\":3}],\"list\":[9,8,7]}");
    json_merge(dst, src);
    t = json_print(dst);
    EXPECT_EQ_STR(t, "{\"shops\":[{\"domain\":\"a\",\"n\":1,\"buffer\":3},{\"domain\":\"b\"}],"
                     "\"list\":[9,8,7]}");
    free(t);
    cJSON_Delete(dst);
    cJSON_Delete(src);
}
