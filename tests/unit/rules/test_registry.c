/*
 * test_registry.c -- the rule table is sorted, ids are unique and
 * well-formed, and every row is filled in (the docs are generated from it).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/rules.h"

static void test_rules_registry__sorted_and_unique(void **state)
{
    (void)state;
    size_t n;
    const kh_rule_def *t = kh_rules__table(&n);
    assert_true(n > 0);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(t[i - 1].info.id, t[i].info.id) < 0);
}

static void test_rules_registry__every_field_filled(void **state)
{
    (void)state;
    size_t n;
    const kh_rule_def *t = kh_rules__table(&n);
    for (size_t i = 0; i < n; i++) {
        const kh_rule_info *r = &t[i].info;
        /* Exactly one kind of check; a set rule names the kinds it keeps;
         * audit-event rules (kubeharden watch) are the audit area's. */
        assert_int_equal(!!t[i].check + !!t[i].check_set + !!t[i].check_event, 1);
        assert_true(!t[i].check_event == (r->area != KH_AREA_AUDIT));
        if (t[i].check_set)
            assert_true(t[i].kinds && t[i].kinds[0]);
        assert_true(t[i].check_set ? !(t[i].flags & KH_RULE_SEES_ENVELOPE) : 1);
        /* Pod Security rules are named for their level, and only a
         * restricted rule replaces a baseline rule that exists. */
        if (t[i].pss_level == KH_PSS_BASELINE)
            assert_memory_equal(r->id, "pss.baseline.", 13);
        else if (t[i].pss_level == KH_PSS_RESTRICTED)
            assert_memory_equal(r->id, "pss.restricted.", 15);
        else
            assert_true(strncmp(r->id, "pss.", 4) != 0);
        if (t[i].overrides) {
            const kh_rule_def *base = kh_rules__find(t[i].overrides);
            assert_int_equal(t[i].pss_level, KH_PSS_RESTRICTED);
            assert_non_null(base);
            assert_int_equal(base->pss_level, KH_PSS_BASELINE);
        }
        assert_true(r->title && *r->title);
        assert_true(r->why && *r->why);
        assert_true(r->fix && *r->fix);
        assert_true(r->refs && *r->refs);
        assert_true(r->since && *r->since);
        /* Ids are lower-case words joined by '.' and '-', area first. */
        for (const char *p = r->id; *p; p++)
            assert_true(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
                        *p == '.' || *p == '-');
        size_t area_len = strlen(kh_area_name(r->area));
        assert_memory_equal(r->id, kh_area_name(r->area), area_len);
        assert_int_equal(r->id[area_len], '.');
    }
}

static void test_rules_registry__lookup(void **state)
{
    (void)state;
    for (size_t i = 0; i < kh_rule_count(); i++)
        assert_ptr_equal(kh_rule_find(kh_rule_at(i)->id), kh_rule_at(i));
    assert_null(kh_rule_find("no.such-rule"));
    assert_null(kh_rule_find(""));
    assert_null(kh_rule_at(kh_rule_count()));
}

static void test_rules_registry__severity_names_round_trip(void **state)
{
    (void)state;
    for (int s = KH_SEVERITY_INFO; s <= KH_SEVERITY_CRITICAL; s++) {
        kh_severity back;
        assert_int_equal(kh_severity_parse(&back, kh_severity_name((kh_severity)s)), KH_OK);
        assert_int_equal(back, s);
    }
    kh_severity x;
    assert_int_equal(kh_severity_parse(&x, "HIGH"), KH_OK);
    assert_int_equal(x, KH_SEVERITY_HIGH);
    assert_int_equal(kh_severity_parse(&x, "severe"), KH_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_registry__sorted_and_unique),
        cmocka_unit_test(test_rules_registry__every_field_filled),
        cmocka_unit_test(test_rules_registry__lookup),
        cmocka_unit_test(test_rules_registry__severity_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
