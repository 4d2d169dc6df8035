package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * UpdateItem, written from the DynamoDB API Reference "UpdateItem" (UpdateExpression, ReturnValues,
 * ConditionExpression, ReturnValuesOnConditionCheckFailure), the Developer Guide "Update expressions"
 * (Expressions.UpdateExpressions: SET with + / -, list_append, if_not_exists, list elements, nested map
 * attributes; REMOVE of attributes and list elements; ADD for numbers and sets; DELETE for sets), "Specifying
 * item attributes when using expressions" (document paths), "Expression attribute names / values", "Reserved
 * words" and "Service, account, and table quotas" (400 KB items).
 */
class UpdateItemTest extends Conformance {

    private static final Map<String, AttributeValue> KEY = item("pk", s("a"));

    private static void assertValidation(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(messagePart);
        });
    }

    private static Map<String, AttributeValue> get(String t) {
        GetItemResponse r = dynamo.getItem(g -> g.tableName(t).key(KEY).consistentRead(true));
        return r.hasItem() ? r.item() : null;
    }

    /** A fresh table holding {@code attributes} under key pk = "a". */
    private static String tableWith(Object... attributes) {
        String t = table(false);
        Map<String, AttributeValue> it = item(attributes);
        it.put("pk", s("a"));
        dynamo.putItem(r -> r.tableName(t).item(it));
        return t;
    }

    private static UpdateItemResponse update(String t, String expression, Map<String, AttributeValue> values, ReturnValue returnValues) {
        return dynamo.updateItem(r -> {
            r.tableName(t).key(KEY).updateExpression(expression).returnValues(returnValues);
            if (values != null) {
                r.expressionAttributeValues(values);
            }
        });
    }

    /** Applies the update and returns the item afterwards (ALL_NEW). */
    private static Map<String, AttributeValue> apply(String t, String expression, Map<String, AttributeValue> values) {
        return update(t, expression, values, ReturnValue.ALL_NEW).attributes();
    }

    private static Map<String, AttributeValue> apply(String t, String expression) {
        return apply(t, expression, null);
    }

    private static AttributeValue list(AttributeValue... elements) {
        return AttributeValue.fromL(List.of(elements));
    }

    private static AttributeValue map(Object... nameValues) {
        return AttributeValue.fromM(item(nameValues));
    }

    private static AttributeValue ss(String... v) {
        return AttributeValue.fromSs(List.of(v));
    }

    private static AttributeValue ns(String... v) {
        return AttributeValue.fromNs(List.of(v));
    }

    private static void refused(String t, String expression, Map<String, AttributeValue> values, String messagePart) {
        assertValidation(() -> update(t, expression, values, ReturnValue.NONE), messagePart);
    }

    // --- creating items

    @Test
    void updateOfAMissingItemCreatesIt() {
        String t = table(false);
        Map<String, AttributeValue> after = apply(t, "SET a = :v", item(":v", s("x")));
        assertThat(after).isEqualTo(item("pk", s("a"), "a", s("x")));
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "a", s("x")));
    }

    @Test
    void updateOfAMissingItemWithASortKeyCreatesItWithBothKeys() {
        String t = table(true);
        dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"), "sk", s("b"))).updateExpression("ADD c :one")
                .expressionAttributeValues(item(":one", n("1"))));
        assertThat(dynamo.getItem(g -> g.tableName(t).key(item("pk", s("a"), "sk", s("b")))).item())
                .isEqualTo(item("pk", s("a"), "sk", s("b"), "c", n("1")));
    }

    @Test
    void updateWithoutAnExpressionCreatesAKeyOnlyItem() {
        String t = table(false);
        dynamo.updateItem(r -> r.tableName(t).key(KEY));
        assertThat(get(t)).isEqualTo(KEY);
    }

    @Test
    void removeOnAMissingItemCreatesAKeyOnlyItem() {
        String t = table(false);
        apply(t, "REMOVE ghost");
        assertThat(get(t)).isEqualTo(KEY);
    }

    // --- SET

    @Test
    void setReplacesAndAddsAttributes() {
        String t = tableWith("a", n("1"), "keep", s("k"));
        assertThat(apply(t, "SET a = :x, b = :y", item(":x", s("one"), ":y", list(n("1")))))
                .isEqualTo(item("pk", s("a"), "a", s("one"), "keep", s("k"), "b", list(n("1"))));
    }

    @Test
    void setCanCopyAnotherAttribute() {
        String t = tableWith("a", map("x", n("1")));
        assertThat(apply(t, "SET b = a, c = a.x")).containsEntry("b", map("x", n("1"))).containsEntry("c", n("1"));
    }

    @Test
    void keywordsAreCaseInsensitive() {
        String t = tableWith("a", n("1"), "b", n("2"));
        assertThat(apply(t, "set a = :x remove b", item(":x", n("5")))).isEqualTo(item("pk", s("a"), "a", n("5")));
    }

    @Test
    void plusAndMinus() {
        String t = tableWith("n", n("10"));
        assertThat(apply(t, "SET n = n + :five", item(":five", n("5"))).get("n")).isEqualTo(n("15"));
        assertThat(apply(t, "SET n = n - :twenty", item(":twenty", n("20"))).get("n")).isEqualTo(n("-5"));
        assertThat(apply(t, "SET m = :a + :b", item(":a", n("0.1"), ":b", n("0.2"))).get("m")).isEqualTo(n("0.3"));
        assertThat(apply(t, "SET m = :a - n", item(":a", n("1.5"))).get("m")).isEqualTo(n("6.5"));
    }

    @Test
    void arithmeticKeepsThirtyEightDigits() {
        String t = tableWith("n", n("12345678901234567890123456789012345678"));
        assertThat(apply(t, "SET n = n + :one", item(":one", n("1"))).get("n"))
                .isEqualTo(n("12345678901234567890123456789012345679"));
        assertThat(apply(t, "SET m = :a + :b", item(":a", n("99999999999999999999999999999999999999"), ":b", n("1"))).get("m"))
                .isEqualTo(n("100000000000000000000000000000000000000"));
    }

    @Test
    void listAppendAppendsAndPrepends() {
        String t = tableWith("l", list(n("1"), n("2")));
        assertThat(apply(t, "SET l = list_append(l, :x)", item(":x", list(n("3")))).get("l"))
                .isEqualTo(list(n("1"), n("2"), n("3")));
        assertThat(apply(t, "SET l = list_append(:x, l)", item(":x", list(s("z"), s("y")))).get("l"))
                .isEqualTo(list(s("z"), s("y"), n("1"), n("2"), n("3")));
    }

    @Test
    void listAppendWithIfNotExistsStartsAList() {
        String t = table(false);
        assertThat(apply(t, "SET l = list_append(if_not_exists(l, :empty), :x)",
                item(":empty", AttributeValue.fromL(List.of()), ":x", list(s("first")))).get("l"))
                .isEqualTo(list(s("first")));
    }

    @Test
    void ifNotExists() {
        String t = tableWith("a", s("present"));
        Map<String, AttributeValue> after = apply(t, "SET a = if_not_exists(a, :d), b = if_not_exists(b, :d), c = if_not_exists(c, :zero) + :one",
                item(":d", s("default"), ":zero", n("0"), ":one", n("1")));
        assertThat(after).isEqualTo(item("pk", s("a"), "a", s("present"), "b", s("default"), "c", n("1")));
    }

    @Test
    void setNestedMapPaths() {
        String t = tableWith("m", map("a", map("b", n("1"))));
        assertThat(apply(t, "SET m.a.c = :v, m.x = :w, m.a.b = :w", item(":v", s("v"), ":w", s("w"))).get("m"))
                .isEqualTo(map("a", map("b", s("w"), "c", s("v")), "x", s("w")));
    }

    @Test
    void setNestedPathsWithNamePlaceholders() {
        String t = tableWith("m", map("k.dot", map("b", n("1"))));
        Map<String, AttributeValue> after = dynamo.updateItem(r -> r.tableName(t).key(KEY)
                .updateExpression("SET #m.#k.#b = :v, #top = :v")
                .expressionAttributeNames(Map.of("#m", "m", "#k", "k.dot", "#b", "b", "#top", "a.b"))
                .expressionAttributeValues(item(":v", n("2")))
                .returnValues(ReturnValue.ALL_NEW)).attributes();
        assertThat(after).isEqualTo(item("pk", s("a"), "m", map("k.dot", map("b", n("2"))), "a.b", n("2")));
    }

    @Test
    void setListElementReplacesIt() {
        String t = tableWith("l", list(s("a"), s("b"), s("c")), "m", map("arr", list(n("1"), n("2"))));
        Map<String, AttributeValue> after = apply(t, "SET l[1] = :x, m.arr[0] = :y", item(":x", s("x"), ":y", n("9")));
        assertThat(after.get("l")).isEqualTo(list(s("a"), s("x"), s("c")));
        assertThat(after.get("m")).isEqualTo(map("arr", list(n("9"), n("2"))));
    }

    @Test
    void setPastTheEndOfAListAppends() {
        String t = tableWith("l", list(s("a"), s("b"), s("c")));
        assertThat(apply(t, "SET l[10] = :x", item(":x", s("x"))).get("l"))
                .isEqualTo(list(s("a"), s("b"), s("c"), s("x")));
    }

    @Test
    void severalSetsPastTheEndAppendInIndexOrder() {
        String t = tableWith("l", list(s("a"), s("b"), s("c")));
        assertThat(apply(t, "SET l[7] = :p, l[5] = :q", item(":p", s("p"), ":q", s("q"))).get("l"))
                .isEqualTo(list(s("a"), s("b"), s("c"), s("q"), s("p")));
    }

    @Test
    void setIntoAMissingParentIsAnInvalidDocumentPath() {
        String t = tableWith("m", map("a", n("1")), "s", s("str"), "l", list(n("1")));
        for (String expression : List.of("SET ghost.x = :v", "SET m.ghost.x = :v", "SET m.a.x = :v",
                "SET s[0] = :v", "SET m[0] = :v", "SET l.k = :v", "SET ghost[0] = :v")) {
            assertValidation(() -> update(t, expression, item(":v", s("v")), ReturnValue.NONE),
                    "The document path provided in the update expression is invalid for update");
        }
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "m", map("a", n("1")), "s", s("str"), "l", list(n("1"))));
    }

    // --- REMOVE

    @Test
    void removeAttributesAndNestedMapKeys() {
        String t = tableWith("a", n("1"), "b", n("2"), "m", map("x", map("y", n("1"), "z", n("2"))));
        assertThat(apply(t, "REMOVE a, m.x.y")).isEqualTo(item("pk", s("a"), "b", n("2"), "m", map("x", map("z", n("2")))));
    }

    @Test
    void removeListElementShiftsTheRest() {
        String t = tableWith("l", list(s("a"), s("b"), s("c"), s("d")));
        assertThat(apply(t, "REMOVE l[1]").get("l")).isEqualTo(list(s("a"), s("c"), s("d")));
    }

    @Test
    void severalRemovedIndexesReferToTheOriginalList() {
        String t = tableWith("l", list(s("a"), s("b"), s("c"), s("d")), "k", list(s("a"), s("b"), s("c"), s("d")));
        Map<String, AttributeValue> after = apply(t, "REMOVE l[0], l[2], k[3], k[0]");
        assertThat(after.get("l")).isEqualTo(list(s("b"), s("d")));
        assertThat(after.get("k")).isEqualTo(list(s("b"), s("c")));
    }

    @Test
    void removeOfMissingPathsDoesNothing() {
        String t = tableWith("l", list(s("a")), "m", map("x", n("1")));
        assertThat(apply(t, "REMOVE ghost, l[10], m.ghost"))
                .isEqualTo(item("pk", s("a"), "l", list(s("a")), "m", map("x", n("1"))));
    }

    @Test
    void removingEveryListElementLeavesAnEmptyList() {
        String t = tableWith("l", list(s("a")));
        assertThat(apply(t, "REMOVE l[0]").get("l")).isEqualTo(AttributeValue.fromL(List.of()));
    }

    // --- ADD

    @Test
    void addToNumbers() {
        String t = tableWith("n", n("5"));
        Map<String, AttributeValue> after = apply(t, "ADD n :three, fresh :minus", item(":three", n("3"), ":minus", n("-2.5")));
        assertThat(after.get("n")).isEqualTo(n("8"));
        // ADD on a missing number attribute starts from 0.
        assertThat(after.get("fresh")).isEqualTo(n("-2.5"));
    }

    @Test
    void addToSets() {
        String t = tableWith("ss", ss("a", "b"), "ns", ns("1"));
        Map<String, AttributeValue> after = apply(t, "ADD ss :s, ns :n, bs :b, fresh :s",
                item(":s", ss("b", "c"), ":n", ns("2", "1"),
                        ":b", AttributeValue.fromBs(List.of(SdkBytes.fromByteArray(new byte[]{1})))));
        assertThat(after.get("ss").ss()).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(after.get("ns").ns()).containsExactlyInAnyOrder("1", "2");
        assertThat(after.get("bs").bs()).containsExactly(SdkBytes.fromByteArray(new byte[]{1}));
        assertThat(after.get("fresh").ss()).containsExactlyInAnyOrder("b", "c");
    }

    @Test
    void addWithTheWrongLiteralTypeIsRefused() {
        String t = tableWith("a", n("1"));
        refused(t, "ADD a :v", item(":v", s("x")),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
        refused(t, "ADD a :v", item(":v", list(n("1"))),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST");
        refused(t, "ADD a :v", item(":v", AttributeValue.fromBool(true)),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN");
    }

    @Test
    void addToAnAttributeOfAnotherTypeIsRefused() {
        String t = tableWith("s", s("x"), "ns", ns("1"));
        refused(t, "ADD s :one", item(":one", n("1")), "An operand in the update expression has an incorrect data type");
        refused(t, "ADD ns :ss", item(":ss", ss("a")), "An operand in the update expression has an incorrect data type");
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "s", s("x"), "ns", ns("1")));
    }

    // --- DELETE

    @Test
    void deleteRemovesElementsFromASet() {
        String t = tableWith("ss", ss("a", "b", "c"), "ns", ns("1", "2"));
        Map<String, AttributeValue> after = apply(t, "DELETE ss :s, ns :n", item(":s", ss("a", "c", "zzz"), ":n", ns("2")));
        assertThat(after.get("ss").ss()).containsExactly("b");
        assertThat(after.get("ns").ns()).containsExactly("1");
    }

    @Test
    void deletingEveryElementRemovesTheAttribute() {
        String t = tableWith("ss", ss("a", "b"));
        assertThat(apply(t, "DELETE ss :s", item(":s", ss("a", "b", "c")))).isEqualTo(KEY);
    }

    @Test
    void deleteFromAMissingAttributeDoesNothing() {
        String t = tableWith("x", n("1"));
        assertThat(apply(t, "DELETE ghost :s", item(":s", ss("a")))).isEqualTo(item("pk", s("a"), "x", n("1")));
    }

    @Test
    void deleteWithANonSetLiteralIsRefused() {
        String t = tableWith("ss", ss("a"));
        refused(t, "DELETE ss :v", item(":v", n("1")),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER");
        refused(t, "DELETE ss :v", item(":v", s("a")),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: STRING");
    }

    @Test
    void deleteOfAnotherSetTypeOrFromANonSetIsRefused() {
        String t = tableWith("ss", ss("a"), "s", s("a"));
        refused(t, "DELETE ss :v", item(":v", ns("1")), "An operand in the update expression has an incorrect data type");
        refused(t, "DELETE s :v", item(":v", ss("a")), "An operand in the update expression has an incorrect data type");
    }

    // --- clauses

    @Test
    void clausesMayComeInAnyOrder() {
        String t = tableWith("ss", ss("a", "b"), "n", n("1"), "r", s("gone"));
        Map<String, AttributeValue> after = apply(t, "DELETE ss :d ADD n :one REMOVE r SET a = :v",
                item(":d", ss("a"), ":one", n("1"), ":v", s("set")));
        assertThat(after).isEqualTo(item("pk", s("a"), "ss", ss("b"), "n", n("2"), "a", s("set")));
    }

    @Test
    void eachClauseAtMostOnce() {
        String t = table(false);
        Map<String, AttributeValue> v = item(":v", n("1"), ":s", ss("x"));
        refused(t, "SET a = :v SET b = :v REMOVE c DELETE d :s ADD e :v", v, "The \"SET\" section can only be used once in an update expression;");
        refused(t, "REMOVE a SET b = :v, f = :v REMOVE c DELETE d :s ADD e :v", v, "The \"REMOVE\" section can only be used once in an update expression;");
        refused(t, "ADD a :v ADD b :v SET c = :v DELETE d :s", v, "The \"ADD\" section can only be used once in an update expression;");
        refused(t, "DELETE a :s DELETE b :s SET c = :v ADD e :v", v, "The \"DELETE\" section can only be used once in an update expression;");
    }

    @Test
    void overlappingPathsAreRefused() {
        String t = table(false);
        Map<String, AttributeValue> v = item(":v", n("1"));
        String overlap = "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths";
        refused(t, "SET a = :v, a.b = :v", v, overlap);
        refused(t, "SET a = :v REMOVE a", v, overlap);
        refused(t, "SET a = :v ADD a :v", v, overlap);
        refused(t, "SET l[0] = :v REMOVE l[0]", v, overlap);
        refused(t, "REMOVE m.x.y, m.x", null, overlap);
    }

    @Test
    void conflictingPathsAreRefused() {
        String t = table(false);
        refused(t, "SET a.b = :v, a[0] = :v", item(":v", n("1")),
                "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths");
    }

    @Test
    void distinctSiblingPathsAreFine() {
        String t = tableWith("m", map("a", n("1"), "b", n("2"), "c", map("x", n("1"), "y", n("2"))));
        Map<String, AttributeValue> after = apply(t, "SET m.a = :v, m.c.x = :v REMOVE m.b, m.c.y", item(":v", n("9")));
        assertThat(after.get("m")).isEqualTo(map("a", n("9"), "c", map("x", n("9"))));
    }

    // --- keys

    @Test
    void updatingAKeyAttributeIsRefused() {
        String t = table(true);
        Map<String, AttributeValue> key = item("pk", s("a"), "sk", s("b"));
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("SET pk = :v")
                        .expressionAttributeValues(item(":v", s("x")))),
                "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("SET sk = :v")
                        .expressionAttributeValues(item(":v", s("x")))),
                "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("REMOVE sk")),
                "Cannot update attribute sk. This attribute is part of the key");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("SET #k = :v")
                        .expressionAttributeNames(Map.of("#k", "pk")).expressionAttributeValues(item(":v", s("x")))),
                "Cannot update attribute pk. This attribute is part of the key");
        assertThat(dynamo.getItem(g -> g.tableName(t).key(key)).hasItem()).isFalse();
    }

    @Test
    void keyThatDoesNotMatchTheSchemaIsRefused() {
        String t = table(false);
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", n("1"))).updateExpression("REMOVE a")),
                "The provided key element does not match the schema");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s("a"), "x", s("b"))).updateExpression("REMOVE a")),
                "The provided key element does not match the schema");
    }

    @Test
    void emptyStringKeyIsRefused() {
        String t = table(false);
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(item("pk", s(""))).updateExpression("REMOVE a")),
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk");
    }

    // --- operand errors

    @Test
    void literalOperandsOfTheWrongTypeAreRefusedAtParseTime() {
        String t = tableWith("l", list(n("1")));
        refused(t, "SET a = :s + :one", item(":s", s("x"), ":one", n("1")),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S");
        refused(t, "SET a = :one - :s", item(":s", s("x"), ":one", n("1")),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: S");
        refused(t, "SET l = list_append(:s, l)", item(":s", s("x")),
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S");
    }

    @Test
    void attributeOperandsOfTheWrongTypeAreRefusedAtRunTime() {
        String t = tableWith("s", s("x"), "n", n("1"));
        refused(t, "SET a = s + :one", item(":one", n("1")), "An operand in the update expression has an incorrect data type");
        refused(t, "SET a = :one - s", item(":one", n("1")), "An operand in the update expression has an incorrect data type");
        refused(t, "SET l = list_append(n, :l)", item(":l", list(n("1"))), "An operand in the update expression has an incorrect data type");
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "s", s("x"), "n", n("1")));
    }

    @Test
    void operandsReferringToMissingAttributesAreRefused() {
        String t = tableWith("m", map("x", n("1")));
        String missing = "The provided expression refers to an attribute that does not exist in the item";
        refused(t, "SET a = ghost + :one", item(":one", n("1")), missing);
        refused(t, "SET a = ghost", null, missing);
        refused(t, "SET a = m.ghost", null, missing);
        refused(t, "SET l = list_append(ghost, :l)", item(":l", list(n("1"))), missing);
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "m", map("x", n("1"))));
    }

    @Test
    void functionsWithoutADocumentPathAreRefused() {
        String t = table(false);
        refused(t, "SET a = if_not_exists(:v, :v)", item(":v", n("1")),
                "Operator or function requires a document path; operator or function: if_not_exists");
    }

    @Test
    void unknownFunctionIsRefused() {
        String t = table(false);
        refused(t, "SET a = list_prepend(a, :v)", item(":v", list(n("1"))), "Invalid function name; function: list_prepend");
    }

    // --- syntax, placeholders, reserved words

    @Test
    void syntaxErrorsAreRefused() {
        String t = table(false);
        refused(t, "SET a :v", item(":v", n("1")), "Invalid UpdateExpression: Syntax error");
        refused(t, "UPSERT a = :v", item(":v", n("1")), "Invalid UpdateExpression: Syntax error");
        refused(t, "SET a = :v,", item(":v", n("1")), "Invalid UpdateExpression: Syntax error");
        refused(t, "ADD a", null, "Invalid UpdateExpression: Syntax error");
        // At the end of the input the offending token is reported as <EOF>.
        refused(t, "SET a = ", null, "Invalid UpdateExpression: Syntax error; token: \"<EOF>\"");
    }

    @Test
    void emptyUpdateExpressionIsRefused() {
        String t = table(false);
        refused(t, "", null, "Invalid UpdateExpression: The expression can not be empty;");
    }

    @Test
    void undefinedAndUnusedPlaceholdersAreRefused() {
        String t = table(false);
        refused(t, "SET a = :v, b = :w", item(":w", n("1")),
                "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET #n = :v")
                        .expressionAttributeValues(item(":v", n("1")))),
                "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #n");
        refused(t, "SET a = :v", item(":v", n("1"), ":unused", n("2")),
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET a = :v")
                        .expressionAttributeNames(Map.of("#unused", "x")).expressionAttributeValues(item(":v", n("1")))),
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");
        assertThat(get(t)).isNull();
    }

    @Test
    void reservedWordsNeedPlaceholders() {
        String t = table(false);
        refused(t, "SET name = :v", item(":v", n("1")),
                "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name");
        refused(t, "REMOVE Status", null, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Status");
        dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET #n = :v REMOVE #s")
                .expressionAttributeNames(Map.of("#n", "name", "#s", "status")).expressionAttributeValues(item(":v", n("1"))));
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "name", n("1")));
    }

    // --- ReturnValues

    private static String returnValuesTable() {
        return tableWith("a", n("1"), "b", n("2"), "c", n("3"));
    }

    private static final String RV_EXPRESSION = "SET a = :x, d = :y REMOVE b";
    private static final Map<String, AttributeValue> RV_VALUES = item(":x", s("x"), ":y", s("y"));

    @Test
    void returnValuesNone() {
        String t = returnValuesTable();
        assertThat(update(t, RV_EXPRESSION, RV_VALUES, ReturnValue.NONE).hasAttributes()).isFalse();
        assertThat(dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET e = :x")
                .expressionAttributeValues(item(":x", n("1")))).hasAttributes()).isFalse();
    }

    @Test
    void returnValuesAllOld() {
        String t = returnValuesTable();
        assertThat(update(t, RV_EXPRESSION, RV_VALUES, ReturnValue.ALL_OLD).attributes())
                .isEqualTo(item("pk", s("a"), "a", n("1"), "b", n("2"), "c", n("3")));
    }

    @Test
    void returnValuesUpdatedOld() {
        String t = returnValuesTable();
        // d did not exist before, so it has no old value.
        assertThat(update(t, RV_EXPRESSION, RV_VALUES, ReturnValue.UPDATED_OLD).attributes())
                .isEqualTo(item("a", n("1"), "b", n("2")));
    }

    @Test
    void returnValuesAllNew() {
        String t = returnValuesTable();
        assertThat(update(t, RV_EXPRESSION, RV_VALUES, ReturnValue.ALL_NEW).attributes())
                .isEqualTo(item("pk", s("a"), "a", s("x"), "c", n("3"), "d", s("y")));
    }

    @Test
    void returnValuesUpdatedNew() {
        String t = returnValuesTable();
        // b was removed, so it has no new value.
        assertThat(update(t, RV_EXPRESSION, RV_VALUES, ReturnValue.UPDATED_NEW).attributes())
                .isEqualTo(item("a", s("x"), "d", s("y")));
    }

    @Test
    void returnValuesAllOldWhenTheUpdateCreatesTheItemReturnsNothing() {
        String t = table(false);
        assertThat(update(t, "SET a = :x", item(":x", n("1")), ReturnValue.ALL_OLD).hasAttributes()).isFalse();
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "a", n("1")));
    }

    @Test
    void unknownReturnValuesIsRefused() {
        String t = table(false);
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET a = :x")
                        .expressionAttributeValues(item(":x", n("1"))).returnValues("SOME")),
                "Member must satisfy enum value set");
    }

    // --- conditions

    @Test
    void conditionThatFailsLeavesTheItemAlone() {
        String t = tableWith("v", n("1"));
        assertThatThrownBy(() -> dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET v = :nine")
                .conditionExpression("v = :two").expressionAttributeValues(item(":nine", n("9"), ":two", n("2")))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> {
                    assertThat(e.awsErrorDetails().errorMessage()).contains("The conditional request failed");
                    assertThat(e.item()).isEqualTo(item("pk", s("a"), "v", n("1")));
                });
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "v", n("1")));
    }

    @Test
    void conditionThatHoldsApplies() {
        String t = tableWith("v", n("1"));
        dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET v = v + :one")
                .conditionExpression("v = :one").expressionAttributeValues(item(":one", n("1"))));
        assertThat(get(t)).isEqualTo(item("pk", s("a"), "v", n("2")));
    }

    @Test
    void conditionOnAMissingItemDoesNotCreateIt() {
        String t = table(false);
        assertThatThrownBy(() -> dynamo.updateItem(r -> r.tableName(t).key(KEY).updateExpression("SET v = :one")
                .conditionExpression("attribute_exists(pk)").expressionAttributeValues(item(":one", n("1")))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
                .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.hasItem()).isFalse());
        assertThat(get(t)).isNull();
    }

    // --- size

    @Test
    void updateUpToExactly400KbIsAcceptedAndOneByteMoreRefused() {
        String t = table(false);
        // "pk"(2) + "a"(1) + "d"(1) + 409590 = 409594; then "e"(1) + 5 = 409600.
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "d", s("x".repeat(409590)))));
        apply(t, "SET e = :v", item(":v", s("12345")));
        assertThat(get(t).get("e")).isEqualTo(s("12345"));
        assertValidation(() -> update(t, "SET e = :v", item(":v", s("123456")), ReturnValue.NONE),
                "Item size to update has exceeded the maximum allowed size");
        assertValidation(() -> update(t, "SET f = :v", item(":v", s("1")), ReturnValue.NONE),
                "Item size to update has exceeded the maximum allowed size");
        assertThat(get(t).get("e")).isEqualTo(s("12345"));
        assertThat(get(t)).doesNotContainKey("f");
    }

    @Test
    void missingTableIsResourceNotFound() {
        assertThatThrownBy(() -> dynamo.updateItem(r -> r.tableName("no-such-table-update").key(KEY).updateExpression("REMOVE a")))
                .isInstanceOf(ResourceNotFoundException.class);
    }

    /** The key-attribute rule is checked before the condition: a failing condition does not hide it. */
    @Test
    void aKeyAttributeUpdateIsRefusedEvenWhenTheConditionFails() {
        String t = table(false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dynamo.updateItem(r -> r.tableName(t)
                        .key(item("pk", s("missing"))).updateExpression("SET pk = :b").conditionExpression("attribute_exists(pk)")
                        .expressionAttributeValues(item(":b", s("b")))))
                .isNotInstanceOf(software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException.class)
                .hasMessageContaining("Cannot update attribute pk. This attribute is part of the key");
    }
}
