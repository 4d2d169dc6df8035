package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Condition expressions, written from the Developer Guide "Comparison operator and function reference"
 * (Expressions.OperatorsAndFunctions: comparators, BETWEEN, IN, AND/OR/NOT with "NOT, AND, OR" precedence and
 * parentheses, attribute_exists, attribute_not_exists, attribute_type, begins_with, contains, size), "Expression
 * attribute names" and "Expression attribute values" (placeholders), "Reserved words in DynamoDB",
 * "Supported data types" (string and binary ordering: UTF-8 bytes / unsigned bytes) and "Service, account, and table
 * quotas" (expression length 4 KB, IN at most 100 operands). The vehicle is PutItem with a ConditionExpression:
 * it rewrites the same item, so a condition holds when the put succeeds and fails on ConditionalCheckFailedException.
 */
class ExpressionsTest extends Conformance {

    private static SdkBytes bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return SdkBytes.fromByteArray(b);
    }

    private static AttributeValue bin(int... v) {
        return AttributeValue.fromB(bytes(v));
    }

    private static final Map<String, AttributeValue> BASE = item(
            "pk", s("a"),
            "n", n("5"),
            "s", s("hello"),
            "b", bin(1, 2, 3),
            "t", AttributeValue.fromBool(true),
            "z", AttributeValue.fromNul(true),
            "l", AttributeValue.fromL(List.of(s("x"), n("1"), AttributeValue.fromM(Map.of("k", s("v"))))),
            "m", AttributeValue.fromM(Map.of("a", AttributeValue.fromM(Map.of("b", n("1"))), "k", s("v"))),
            "ss", AttributeValue.fromSs(List.of("x", "y")),
            "ns", AttributeValue.fromNs(List.of("1", "2")),
            "bs", AttributeValue.fromBs(List.of(bytes(1), bytes(2))),
            "u", s("é𝄞"),
            "e", s(""),
            "lc", s("a"), "uc", s("A"), "inverted", s("¿"), "zed", s("z"),
            "bmp", s("\uFF61"), "astral", s("😀"),
            "bhi", bin(0xff), "blo", bin(0x01),
            "status", s("on"), "name", s("nm"), "data", s("d"),
            "a.b", s("dotted"));

    private static final String T = table(false);

    static {
        dynamo.putItem(r -> r.tableName(T).item(BASE));
    }

    private static boolean holds(String condition, Map<String, String> names, Map<String, AttributeValue> values) {
        try {
            dynamo.putItem(r -> {
                r.tableName(T).item(BASE).conditionExpression(condition);
                if (names != null) {
                    r.expressionAttributeNames(names);
                }
                if (values != null) {
                    r.expressionAttributeValues(values);
                }
            });
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    private static boolean holds(String condition, Map<String, AttributeValue> values) {
        return holds(condition, null, values);
    }

    private static boolean holds(String condition) {
        return holds(condition, null, null);
    }

    private static void refused(String condition, Map<String, String> names, Map<String, AttributeValue> values, String messagePart) {
        ThrowingCallable call = () -> holds(condition, names, values);
        assertThatThrownBy(call).as(condition).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(messagePart);
        });
    }

    private static void refused(String condition, Map<String, AttributeValue> values, String messagePart) {
        refused(condition, null, values, messagePart);
    }

    private static final Map<String, AttributeValue> NUMS = item(":four", n("4"), ":five", n("5"), ":six", n("6"));

    /** holds(condition) with those of :four, :five and :six that the condition uses. */
    private static boolean holdsNums(String condition) {
        Map<String, AttributeValue> used = new LinkedHashMap<>();
        NUMS.forEach((k, v) -> {
            if (condition.contains(k)) {
                used.put(k, v);
            }
        });
        return holds(condition, used);
    }

    // --- comparators

    @Test
    void numberComparators() {
        assertThat(holds("n = :five", item(":five", n("5")))).isTrue();
        assertThat(holds("n = :five", item(":five", n("5.00")))).isTrue();
        assertThat(holds("n = :four", item(":four", n("4")))).isFalse();
        assertThat(holds("n <> :four", item(":four", n("4")))).isTrue();
        assertThat(holds("n <> :five", item(":five", n("5")))).isFalse();
        assertThat(holds("n < :six", item(":six", n("6")))).isTrue();
        assertThat(holds("n < :five", item(":five", n("5")))).isFalse();
        assertThat(holds("n <= :five", item(":five", n("5")))).isTrue();
        assertThat(holds("n <= :four", item(":four", n("4")))).isFalse();
        assertThat(holds("n > :four", item(":four", n("4")))).isTrue();
        assertThat(holds("n > :five", item(":five", n("5")))).isFalse();
        assertThat(holds("n >= :five", item(":five", n("5")))).isTrue();
        assertThat(holds("n >= :six", item(":six", n("6")))).isFalse();
    }

    @Test
    void numbersCompareNumericallyNotAsText() {
        assertThat(holds("n < :ten", item(":ten", n("10")))).isTrue();
        assertThat(holds("n > :v", item(":v", n("-100")))).isTrue();
        assertThat(holds("n > :v", item(":v", n("4.99999999999999999999999999999999999")))).isTrue();
        assertThat(holds("n < :v", item(":v", n("5.00000000000000000000000000000000001")))).isTrue();
    }

    @Test
    void stringsCompareByUtf8Bytes() {
        assertThat(holds("s < :v", item(":v", s("help")))).isTrue();
        assertThat(holds("s < :v", item(":v", s("hello!")))).isTrue();
        assertThat(holds("s > :v", item(":v", s("hell")))).isTrue();
        assertThat(holds("lc > uc")).isTrue();
        assertThat(holds("inverted > zed")).isTrue();
        // U+1F600 is F0 9F 98 80 in UTF-8, above U+FF61 (EF BD A1), although its UTF-16 surrogates sort below.
        assertThat(holds("astral > bmp")).isTrue();
        assertThat(holds("astral < bmp")).isFalse();
    }

    @Test
    void binariesCompareAsUnsignedBytes() {
        assertThat(holds("bhi > blo")).isTrue();
        assertThat(holds("b < :v", item(":v", bin(1, 2, 4)))).isTrue();
        assertThat(holds("b > :v", item(":v", bin(1, 2)))).isTrue();
        assertThat(holds("b = :v", item(":v", bin(1, 2, 3)))).isTrue();
        assertThat(holds("b < :v", item(":v", bin(0x80)))).isTrue();
    }

    @Test
    void equalityOfOtherTypes() {
        assertThat(holds("t = :v", item(":v", AttributeValue.fromBool(true)))).isTrue();
        assertThat(holds("t = :v", item(":v", AttributeValue.fromBool(false)))).isFalse();
        assertThat(holds("z = :v", item(":v", AttributeValue.fromNul(true)))).isTrue();
        assertThat(holds("l = :v", item(":v", BASE.get("l")))).isTrue();
        assertThat(holds("m = :v", item(":v", BASE.get("m")))).isTrue();
        assertThat(holds("ss = :v", item(":v", AttributeValue.fromSs(List.of("y", "x"))))).isTrue();
        assertThat(holds("ss = :v", item(":v", AttributeValue.fromSs(List.of("x"))))).isFalse();
        assertThat(holds("l <> :v", item(":v", AttributeValue.fromL(List.of(n("1"), s("x")))))).isTrue();
    }

    @Test
    void pathsCompareWithPaths() {
        assertThat(holds("l[1] = m.a.b")).isTrue();
        assertThat(holds("n > m.a.b")).isTrue();
        assertThat(holds("m.k = l[2].k")).isTrue();
        assertThat(holds("pk = lc")).isTrue();
    }

    @Test
    void comparisonsAcrossTypesAreFalseExceptNotEqual() {
        assertThat(holds("n = :v", item(":v", s("5")))).isFalse();
        assertThat(holds("n <> :v", item(":v", s("5")))).isTrue();
        assertThat(holds("n < :v", item(":v", s("9")))).isFalse();
        assertThat(holds("n >= :v", item(":v", s("0")))).isFalse();
        assertThat(holds("s > :v", item(":v", n("1")))).isFalse();
        assertThat(holds("s <= :v", item(":v", n("1")))).isFalse();
        assertThat(holds("b = :v", item(":v", s("\u0001\u0002\u0003")))).isFalse();
        assertThat(holds("t = :v", item(":v", s("true")))).isFalse();
        assertThat(holds("ss = :v", item(":v", AttributeValue.fromL(List.of(s("x"), s("y")))))).isFalse();
        assertThat(holds("ss <> :v", item(":v", AttributeValue.fromL(List.of(s("x"), s("y")))))).isTrue();
        assertThat(holds("n BETWEEN :a AND :b", item(":a", s("1"), ":b", s("9")))).isFalse();
    }

    @Test
    void missingAttributes() {
        Map<String, AttributeValue> v = item(":v", n("1"));
        assertThat(holds("ghost = :v", v)).isFalse();
        assertThat(holds("ghost <> :v", v)).isTrue();
        assertThat(holds("ghost < :v", v)).isFalse();
        assertThat(holds("ghost >= :v", v)).isFalse();
        assertThat(holds("NOT ghost = :v", v)).isTrue();
        assertThat(holds("ghost BETWEEN :v AND :v", v)).isFalse();
        assertThat(holds("ghost IN (:v)", v)).isFalse();
        assertThat(holds("m.ghost = :v", v)).isFalse();
        assertThat(holds("l[9] = :v", v)).isFalse();
        assertThat(holds("s.x = :v", v)).isFalse();
        assertThat(holds("n[0] = :v", v)).isFalse();
        assertThat(holds("begins_with(ghost, :p)", item(":p", s("h")))).isFalse();
        assertThat(holds("contains(ghost, :p)", item(":p", s("h")))).isFalse();
        assertThat(holds("size(ghost) >= :zero", item(":zero", n("0")))).isFalse();
        assertThat(holds("attribute_type(ghost, :t)", item(":t", s("S")))).isFalse();
    }

    // --- BETWEEN and IN

    @Test
    void betweenIsInclusive() {
        assertThat(holds("n BETWEEN :five AND :five", item(":five", n("5")))).isTrue();
        assertThat(holds("n BETWEEN :four AND :six", item(":four", n("4"), ":six", n("6")))).isTrue();
        assertThat(holds("n BETWEEN :a AND :b", item(":a", n("1"), ":b", n("4")))).isFalse();
        assertThat(holds("n BETWEEN :a AND :b", item(":a", n("6"), ":b", n("9")))).isFalse();
        assertThat(holds("s BETWEEN :a AND :b", item(":a", s("a"), ":b", s("i")))).isTrue();
        assertThat(holds("n BETWEEN m.a.b AND :b", item(":b", n("9")))).isTrue();
    }

    @Test
    void betweenWithLiteralBoundsOutOfOrderOrOfDifferentTypesIsRefused() {
        refused("n BETWEEN :a AND :b", item(":a", n("5"), ":b", n("1")),
                "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound");
        refused("n BETWEEN :a AND :b", item(":a", n("1"), ":b", s("a")),
                "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds");
    }

    @Test
    void in() {
        assertThat(holds("n IN (:a, :b)", item(":a", n("1"), ":b", n("5")))).isTrue();
        assertThat(holds("n IN (:a, :b)", item(":a", n("1"), ":b", n("2")))).isFalse();
        assertThat(holds("s IN (:a)", item(":a", s("hello")))).isTrue();
        assertThat(holds("n IN (:a)", item(":a", s("5")))).isFalse();
        assertThat(holds("n IN (m.a.b, l[1], :a)", item(":a", n("5")))).isTrue();
    }

    private static String inList(int count, Map<String, AttributeValue> values) {
        StringBuilder sb = new StringBuilder("n IN (");
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ", ").append(":v").append(i);
            values.put(":v" + i, n(Integer.toString(100 + i)));
        }
        return sb.append(")").toString();
    }

    @Test
    void inTakesAtMost100Operands() {
        Map<String, AttributeValue> hundred = new LinkedHashMap<>();
        String ok = inList(100, hundred);
        hundred.put(":v99", n("5"));
        assertThat(holds(ok, hundred)).isTrue();
        Map<String, AttributeValue> more = new LinkedHashMap<>();
        String tooMany = inList(101, more);
        // The quota is documented; the exact wording of the error is not, so only the error code is asserted.
        refused(tooMany, more, "");
    }

    // --- logical operators

    @Test
    void orBindsLooserThanAnd() {
        // a OR b AND c is a OR (b AND c): true here, where (a OR b) AND c would be false.
        assertThat(holdsNums("n = :five OR n = :four AND n = :six")).isTrue();
        // a AND b OR c is (a AND b) OR c: true here, where a AND (b OR c) would be false.
        assertThat(holdsNums("n = :four AND n = :six OR n = :five")).isTrue();
    }

    @Test
    void notBindsTighterThanAndAndOr() {
        // NOT a AND b is (NOT a) AND b: false here, where NOT (a AND b) would be true.
        assertThat(holdsNums("NOT n = :four AND n = :six")).isFalse();
        // NOT a OR b is (NOT a) OR b: true here, where NOT (a OR b) would be false.
        assertThat(holdsNums("NOT n = :five OR n = :five AND n <> :four")).isTrue();
        assertThat(holdsNums("NOT n = :five OR n = :four")).isFalse();
    }

    @Test
    void parenthesesOverridePrecedence() {
        assertThat(holdsNums("(n = :five OR n = :four) AND n = :six")).isFalse();
        assertThat(holdsNums("NOT (n = :four AND n = :six)")).isTrue();
        assertThat(holdsNums("NOT (n = :five OR n = :four)")).isFalse();
        assertThat(holdsNums("n = :five AND (n = :four OR (n = :six OR attribute_exists(s)))")).isTrue();
    }

    @Test
    void redundantParenthesesAreRefused() {
        refused("((n = :five))", item(":five", n("5")), "Invalid ConditionExpression: The expression has redundant parentheses;");
    }

    @Test
    void keywordsAreCaseInsensitive() {
        assertThat(holdsNums("n between :four and :six")).isTrue();
        assertThat(holdsNums("n In (:five) AnD not n = :four oR n = :six")).isTrue();
        assertThat(holds("NoT n = :five", item(":five", n("5")))).isFalse();
    }

    @Test
    void functionNamesAreCaseSensitive() {
        refused("ATTRIBUTE_EXISTS(n)", null, "Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS");
        refused("Size(s) = :v", item(":v", n("5")), "Invalid function name; function: Size");
        refused("Begins_With(s, :v)", item(":v", s("h")), "Invalid function name; function: Begins_With");
        refused("no_such_function(s)", null, "Invalid function name; function: no_such_function");
    }

    // --- functions

    @Test
    void attributeExistsAndNotExists() {
        assertThat(holds("attribute_exists(n)")).isTrue();
        assertThat(holds("attribute_exists(z)")).isTrue();
        assertThat(holds("attribute_exists(e)")).isTrue();
        assertThat(holds("attribute_exists(ghost)")).isFalse();
        assertThat(holds("attribute_exists(m.a.b)")).isTrue();
        assertThat(holds("attribute_exists(m.a.ghost)")).isFalse();
        assertThat(holds("attribute_exists(l[2].k)")).isTrue();
        assertThat(holds("attribute_exists(l[3])")).isFalse();
        assertThat(holds("attribute_not_exists(ghost)")).isTrue();
        assertThat(holds("attribute_not_exists(n)")).isFalse();
        assertThat(holds("attribute_not_exists(l[3])")).isTrue();
        assertThat(holds("attribute_not_exists(m.a)")).isFalse();
    }

    @Test
    void attributeExistsNeedsADocumentPath() {
        refused("attribute_exists(:v)", item(":v", n("1")),
                "Operator or function requires a document path; operator or function: attribute_exists");
    }

    @Test
    void attributeTypeForEveryType() {
        Map<String, String> attrByType = new LinkedHashMap<>();
        attrByType.put("S", "s");
        attrByType.put("N", "n");
        attrByType.put("B", "b");
        attrByType.put("BOOL", "t");
        attrByType.put("NULL", "z");
        attrByType.put("L", "l");
        attrByType.put("M", "m");
        attrByType.put("SS", "ss");
        attrByType.put("NS", "ns");
        attrByType.put("BS", "bs");
        for (Map.Entry<String, String> attr : attrByType.entrySet()) {
            for (String type : attrByType.keySet()) {
                assertThat(holds("attribute_type(" + attr.getValue() + ", :t)", item(":t", s(type))))
                        .as("attribute_type(%s, %s)", attr.getValue(), type)
                        .isEqualTo(type.equals(attr.getKey()));
            }
        }
        assertThat(holds("attribute_type(m.a.b, :t)", item(":t", s("N")))).isTrue();
    }

    @Test
    void attributeTypeWithAnInvalidTypeIsRefused() {
        refused("attribute_type(s, :t)", item(":t", s("STRING")),
                "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
        refused("attribute_type(s, :t)", item(":t", s("s")), "Invalid attribute type name found; type: s");
    }

    @Test
    void beginsWith() {
        assertThat(holds("begins_with(s, :p)", item(":p", s("he")))).isTrue();
        assertThat(holds("begins_with(s, :p)", item(":p", s("hello")))).isTrue();
        assertThat(holds("begins_with(s, :p)", item(":p", s("hello!")))).isFalse();
        assertThat(holds("begins_with(s, :p)", item(":p", s("el")))).isFalse();
        assertThat(holds("begins_with(s, :p)", item(":p", s("H")))).isFalse();
        assertThat(holds("begins_with(u, :p)", item(":p", s("é")))).isTrue();
        assertThat(holds("begins_with(b, :p)", item(":p", bin(1, 2)))).isTrue();
        assertThat(holds("begins_with(b, :p)", item(":p", bin(2)))).isFalse();
        assertThat(holds("begins_with(m.k, :p)", item(":p", s("v")))).isTrue();
        // An attribute of another type, or a prefix of the other type, does not begin with it.
        assertThat(holds("begins_with(n, :p)", item(":p", s("5")))).isFalse();
        assertThat(holds("begins_with(ss, :p)", item(":p", s("x")))).isFalse();
        assertThat(holds("begins_with(b, :p)", item(":p", s("\u0001")))).isFalse();
    }

    @Test
    void beginsWithANumberLiteralIsRefused() {
        refused("begins_with(s, :p)", item(":p", n("1")),
                "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
    }

    @Test
    void containsOnStringsSetsAndLists() {
        assertThat(holds("contains(s, :v)", item(":v", s("ell")))).isTrue();
        assertThat(holds("contains(s, :v)", item(":v", s("hello")))).isTrue();
        assertThat(holds("contains(s, :v)", item(":v", s("elo")))).isFalse();
        assertThat(holds("contains(ss, :v)", item(":v", s("y")))).isTrue();
        assertThat(holds("contains(ss, :v)", item(":v", s("q")))).isFalse();
        assertThat(holds("contains(ns, :v)", item(":v", n("2")))).isTrue();
        assertThat(holds("contains(ns, :v)", item(":v", n("3")))).isFalse();
        assertThat(holds("contains(ns, :v)", item(":v", s("2")))).isFalse();
        assertThat(holds("contains(bs, :v)", item(":v", bin(2)))).isTrue();
        assertThat(holds("contains(bs, :v)", item(":v", bin(3)))).isFalse();
        assertThat(holds("contains(l, :v)", item(":v", s("x")))).isTrue();
        assertThat(holds("contains(l, :v)", item(":v", n("1")))).isTrue();
        assertThat(holds("contains(l, :v)", item(":v", s("1")))).isFalse();
        assertThat(holds("contains(n, :v)", item(":v", n("5")))).isFalse();
        assertThat(holds("contains(s, m.k)")).isFalse();
        assertThat(holds("contains(ss, l[0])")).isTrue();
    }

    @Test
    void containsNeedsDistinctOperands() {
        refused("contains(s, s)", null,
                "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [s]");
    }

    @Test
    void sizeOfEachType() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put("s", 5);
        sizes.put("u", 3); // "é𝄞": 3 UTF-16 code units (6 UTF-8 bytes)
        sizes.put("e", 0);
        sizes.put("b", 3);
        sizes.put("ss", 2);
        sizes.put("ns", 2);
        sizes.put("bs", 2);
        sizes.put("l", 3);
        sizes.put("m", 2);
        sizes.put("m.a", 1);
        sizes.put("l[2]", 1);
        sizes.forEach((path, size) -> {
            assertThat(holds("size(" + path + ") = :v", item(":v", n(Integer.toString(size))))).as("size(%s) = %d", path, size).isTrue();
            assertThat(holds("size(" + path + ") = :v", item(":v", n(Integer.toString(size + 1))))).as("size(%s) = %d", path, size + 1).isFalse();
        });
        assertThat(holds("size(s) > size(l)")).isTrue();
        assertThat(holds("size(s) BETWEEN :a AND :b", item(":a", n("5"), ":b", n("6")))).isTrue();
        assertThat(holds("size(l) IN (:a, :b)", item(":a", n("1"), ":b", n("3")))).isTrue();
    }

    @Test
    void sizeOnItsOwnIsRefused() {
        refused("size(s)", null, "The function is not allowed to be used this way in an expression; function: size");
    }

    @Test
    void sizeWithTwoOperandsIsRefused() {
        refused("size(s, l) = :v", item(":v", n("1")),
                "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2");
    }

    // --- placeholders

    @Test
    void placeholdersForNamesAndValues() {
        assertThat(holds("#n = :five", Map.of("#n", "n"), item(":five", n("5")))).isTrue();
        assertThat(holds("#m.#a.#b = :one", Map.of("#m", "m", "#a", "a", "#b", "b"), item(":one", n("1")))).isTrue();
        assertThat(holds("#l[2].#k = :v", Map.of("#l", "l", "#k", "k"), item(":v", s("v")))).isTrue();
        // A placeholder stands for one whole name, dots included.
        assertThat(holds("#dot = :v", Map.of("#dot", "a.b"), item(":v", s("dotted")))).isTrue();
        assertThat(holds("#n = :v AND #n <> :w", Map.of("#n", "s"), item(":v", s("hello"), ":w", s("bye")))).isTrue();
    }

    @Test
    void undefinedPlaceholdersAreRefused() {
        refused("#nope = :v", Map.of("#n", "n"), item(":v", n("1")),
                "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope");
        refused("n = :v OR n = :nope", item(":v", n("1")),
                "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope");
    }

    @Test
    void unusedPlaceholdersAreRefused() {
        refused("n = :v", Map.of("#unused", "x"), item(":v", n("1")),
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
        refused("n = :v", item(":v", n("1"), ":unused", n("2")),
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");
    }

    @Test
    void placeholdersWithoutAnExpressionAreRefused() {
        ThrowingCallable call = () -> dynamo.putItem(r -> r.tableName(T).item(BASE).expressionAttributeValues(item(":v", n("1"))));
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains("ExpressionAttributeValues can only be specified when using expressions");
        });
    }

    @Test
    void emptyPlaceholderMapsAreRefused() {
        refused("n = :v", Map.of(), item(":v", n("5")), "ExpressionAttributeNames must not be empty");
        refused("attribute_exists(n)", Map.of(), null, "ExpressionAttributeNames must not be empty");
        refused("attribute_exists(n)", null, new LinkedHashMap<>(), "ExpressionAttributeValues must not be empty");
    }

    // --- reserved words

    @Test
    void reservedWordsAreRefusedAsBareNames() {
        refused("status = :v", item(":v", s("on")), "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status");
        refused("attribute_exists(name)", null, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name");
        refused("data = :v", item(":v", s("d")), "Attribute name is a reserved keyword; reserved keyword: data");
        // Reserved words are matched case-insensitively and reported as written.
        refused("Data = :v", item(":v", s("d")), "Attribute name is a reserved keyword; reserved keyword: Data");
        refused("m.name = :v", item(":v", s("d")), "Attribute name is a reserved keyword; reserved keyword: name");
    }

    @Test
    void reservedWordsAreAllowedThroughPlaceholders() {
        assertThat(holds("#s = :on AND #n = :nm AND #d = :d", Map.of("#s", "status", "#n", "name", "#d", "data"),
                item(":on", s("on"), ":nm", s("nm"), ":d", s("d")))).isTrue();
    }

    // --- syntax and limits

    @Test
    void syntaxErrorsAreRefused() {
        Map<String, AttributeValue> v = item(":v", n("1"));
        for (String bad : List.of("n == :v", "n = :v AND", "(n = :v", "n = :v)", "n = :v n = :v",
                "n =< :v", "n IN :v", "n BETWEEN :v", "l[a] = :v", "l[-1] = :v", "n = :v,")) {
            refused(bad, v, "Invalid ConditionExpression: Syntax error; token:");
        }
        refused("n IN ()", null, "Invalid ConditionExpression: Syntax error; token:");
        // At the end of the input the offending token is reported as <EOF>.
        refused("n = ", null, "Invalid ConditionExpression: Syntax error; token: \"<EOF>\"");
    }

    @Test
    void emptyConditionIsRefused() {
        refused("", null, "Invalid ConditionExpression: The expression can not be empty;");
    }

    @Test
    void expressionOf4096BytesIsAcceptedAnd4097Refused() {
        String wrapper = "attribute_not_exists()";
        String atLimit = "attribute_not_exists(" + "g".repeat(4096 - wrapper.length()) + ")";
        assertThat(atLimit).hasSize(4096);
        assertThat(holds(atLimit)).isTrue();
        String overLimit = "attribute_not_exists(" + "g".repeat(4097 - wrapper.length()) + ")";
        refused(overLimit, null, "Expression size has exceeded the maximum allowed size");
    }

    @Test
    void expressionLimitCountsPlaceholdersAsWritten() {
        // The expression is measured as sent: a short placeholder for a long name keeps it small.
        String longName = "g".repeat(5000);
        assertThat(holds("attribute_not_exists(#g)", Map.of("#g", longName), null)).isTrue();
    }
}
