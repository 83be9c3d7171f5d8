/*
 * nodes.h -- test helper: YAML text to a kh_node tree, for the k8s tests.
 *
 * yaml_load(text) returns the root of a one-document YAML buffer loaded
 * into the test arena (t_arena(), freed by t_arena_free()). Normally it is
 * kh_doc_load_buffer. Built with -DKH_TEST_NO_DOC, before src/doc had a
 * loader, it builds the tree itself from libyaml's document API with a
 * rough YAML 1.1 type resolution (enough for these tests) and supplies
 * kh_node_int.
 */
#ifndef KH_TEST_K8S_NODES_H
#define KH_TEST_K8S_NODES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "doc/node.h"

static kh_arena t_arena_storage;
static int t_arena_ready;

static inline kh_arena *t_arena(void)
{
    if (!t_arena_ready) {
        kh_arena_init(&t_arena_storage, 0);
        t_arena_ready = 1;
    }
    return &t_arena_storage;
}

static inline void t_arena_free(void)
{
    if (t_arena_ready)
        kh_arena_free(&t_arena_storage);
    t_arena_ready = 0;
}

#ifdef KH_TEST_NO_DOC

#include <regex.h>
#include <yaml.h>

static int t_match(const char *re, const char *s)
{
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        abort();
    int ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

static kh_node_type t_resolve(const char *s)
{
    if (!*s || t_match("^(~|null|Null|NULL)$", s))
        return KH_NODE_NULL;
    if (t_match("^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|"
                "FALSE|on|On|ON|off|Off|OFF)$", s))
        return KH_NODE_BOOL;
    if (t_match("^[-+]?(0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+)$", s))
        return KH_NODE_INT;
    if (t_match("^[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?$", s) ||
        t_match("^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)$", s))
        return KH_NODE_FLOAT;
    return KH_NODE_STRING;
}

static const kh_node *t_build(yaml_document_t *doc, yaml_node_t *y)
{
    kh_node *n = kh_arena_calloc(t_arena(), 1, sizeof(*n));
    n->line = (uint32_t)y->start_mark.line + 1;
    n->col = (uint32_t)y->start_mark.column + 1;
    if (y->type == YAML_SCALAR_NODE) {
        const char *text = (const char *)y->data.scalar.value;
        n->quoted = y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        n->type = n->quoted ? KH_NODE_STRING : t_resolve(text);
        n->boolean = n->type == KH_NODE_BOOL && strchr("yYtTo", text[0]) &&
                     strcmp(text, "off") && strcmp(text, "Off") &&
                     strcmp(text, "OFF");
        n->u.text = kh_arena_strdup(t_arena(), text);
        n->len = (uint32_t)strlen(text);
    } else if (y->type == YAML_MAPPING_NODE) {
        size_t cnt = (size_t)(y->data.mapping.pairs.top -
                              y->data.mapping.pairs.start);
        kh_pair *pairs = kh_arena_calloc(t_arena(), cnt + 1, sizeof(*pairs));
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_pair_t *p = &y->data.mapping.pairs.start[i];
            pairs[i].key = t_build(doc, yaml_document_get_node(doc, p->key));
            pairs[i].value = t_build(doc, yaml_document_get_node(doc, p->value));
        }
        n->type = KH_NODE_MAP;
        n->len = (uint32_t)cnt;
        n->u.pairs = pairs;
    } else {
        size_t cnt = (size_t)(y->data.sequence.items.top -
                              y->data.sequence.items.start);
        const kh_node **items = kh_arena_calloc(t_arena(), cnt + 1,
                                                sizeof(*items));
        for (size_t i = 0; i < cnt; i++)
            items[i] = t_build(doc, yaml_document_get_node(
                                        doc, y->data.sequence.items.start[i]));
        n->type = KH_NODE_SEQ;
        n->len = (uint32_t)cnt;
        n->u.items = items;
    }
    return n;
}

static inline const kh_node *yaml_load(const char *text)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                                 strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        fprintf(stderr, "bad test YAML: %s\n", parser.problem);
        abort();
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    const kh_node *n = root ? t_build(&doc, root) : NULL;
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return n;
}

bool kh_node_int(const kh_node *n, int64_t *out)
{
    if (!n || n->type != KH_NODE_INT)
        return false;
    char buf[64];
    size_t j = 0;
    for (const char *p = n->u.text; *p && j + 1 < sizeof(buf); p++)
        if (*p != '_')
            buf[j++] = *p;
    buf[j] = '\0';
    char *end;
    *out = (int64_t)strtoll(buf, &end, 0);
    return *end == '\0';
}

#else /* the real loader */

static inline const kh_node *yaml_load(const char *text)
{
    const kh_node *root = NULL;
    kh_error err = {0};
    if (kh_doc_load_buffer(&root, t_arena(), text, strlen(text), "<test>",
                           &err) != 0) {
        char buf[512];
        kh_error_format(&err, buf, sizeof(buf));
        fprintf(stderr, "bad test YAML: %s\n", buf);
        abort();
    }
    return root;
}

#endif

#endif
