package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * AttributeValue validation and round trips, written from the DynamoDB API Reference "AttributeValue" (exactly one
 * of S, N, B, SS, NS, BS, M, L, NULL, BOOL), the Developer Guide "Supported data types and naming rules"
 * (HowItWorks.NamingRulesDataTypes: numbers up to 38 digits of precision, positive 1E-130 .. 9.9999999999999999999999999999999999999E+125,
 * leading and trailing zeroes trimmed; sets must not be empty and their values must be unique; NULL) and
 * "Service, account, and table quotas" (attribute values: empty String and Binary allowed outside keys;
 * nested attribute depth 32 levels).
 */
class AttributeValuesTest extends Conformance {

    private static void assertValidation(ThrowingCallable call, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(messagePart);
        });
    }

    private static final String T = table(false);
    private static int keys;

    /** Puts {@code v} as attribute "v" of a fresh item and reads it back. */
    private static AttributeValue roundTrip(AttributeValue v) {
        String pk = "k" + (++keys);
        dynamo.putItem(r -> r.tableName(T).item(item("pk", s(pk), "v", v)));
        GetItemResponse g = dynamo.getItem(r -> r.tableName(T).key(item("pk", s(pk))).consistentRead(true));
        return g.item().get("v");
    }

    private static void refused(AttributeValue v, String messagePart) {
        assertValidation(() -> dynamo.putItem(r -> r.tableName(T).item(item("pk", s("refused"), "v", v))), messagePart);
    }

    private static SdkBytes bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return SdkBytes.fromByteArray(b);
    }

    // --- round trips

    @Test
    void stringsRoundTrip() {
        for (String v : List.of("plain", "", " padded ", "é𝄞😀 ünïcødé", "line\nbreak\ttab\u0000nul", "x".repeat(10000))) {
            assertThat(roundTrip(s(v))).isEqualTo(s(v));
        }
    }

    @Test
    void binaryRoundTripsEveryByteValue() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertThat(roundTrip(AttributeValue.fromB(SdkBytes.fromByteArray(all))).b().asByteArray()).isEqualTo(all);
        assertThat(roundTrip(b()).b().asByteArray()).isEmpty();
    }

    @Test
    void booleansAndNullRoundTrip() {
        assertThat(roundTrip(AttributeValue.fromBool(true))).isEqualTo(AttributeValue.fromBool(true));
        assertThat(roundTrip(AttributeValue.fromBool(false))).isEqualTo(AttributeValue.fromBool(false));
        assertThat(roundTrip(AttributeValue.fromNul(true))).isEqualTo(AttributeValue.fromNul(true));
    }

    @Test
    void listsAndMapsRoundTripWithEveryTypeInside() {
        AttributeValue inner = AttributeValue.fromM(item(
                "s", s("x"), "n", n("1"), "b", AttributeValue.fromB(bytes(1, 2)), "bool", AttributeValue.fromBool(false), "null", AttributeValue.fromNul(true),
                "l", AttributeValue.fromL(List.of(s("a"), n("2"), AttributeValue.fromL(List.of()))),
                "m", AttributeValue.fromM(Map.of()),
                "ss", AttributeValue.fromSs(List.of("only")),
                "empty", s("")));
        AttributeValue list = AttributeValue.fromL(List.of(inner, s("same"), s("same"), n("3")));
        assertThat(roundTrip(list)).isEqualTo(list);
        assertThat(roundTrip(inner)).isEqualTo(inner);
    }

    @Test
    void emptyListAndMapRoundTrip() {
        assertThat(roundTrip(AttributeValue.fromL(List.of()))).isEqualTo(AttributeValue.fromL(List.of()));
        assertThat(roundTrip(AttributeValue.fromM(Map.of()))).isEqualTo(AttributeValue.fromM(Map.of()));
    }

    @Test
    void listOrderIsKept() {
        AttributeValue list = AttributeValue.fromL(List.of(n("3"), n("1"), n("2"), s("b"), s("a")));
        assertThat(roundTrip(list)).isEqualTo(list);
    }

    @Test
    void setsRoundTrip() {
        assertThat(roundTrip(AttributeValue.fromSs(List.of("b", "a", "", "é"))).ss()).containsExactlyInAnyOrder("a", "b", "", "é");
        assertThat(roundTrip(AttributeValue.fromNs(List.of("3", "-1.5", "100"))).ns()).containsExactlyInAnyOrder("3", "-1.5", "100");
        assertThat(roundTrip(AttributeValue.fromBs(List.of(bytes(1), bytes(0xff, 0), bytes())))).satisfies(v ->
                assertThat(v.bs()).containsExactlyInAnyOrder(bytes(1), bytes(0xff, 0), bytes()));
    }

    @Test
    void numberSetElementsAreNormalized() {
        assertThat(roundTrip(AttributeValue.fromNs(List.of("1.50", "0020")))).satisfies(v ->
                assertThat(v.ns()).containsExactlyInAnyOrder("1.5", "20"));
    }

    @Test
    void emptyStringsAndBinariesAreAllowedOutsideKeys() {
        Map<String, AttributeValue> it = item("pk", s("empties"), "s", s(""), "b", b(),
                "l", AttributeValue.fromL(List.of(s(""), b())), "m", AttributeValue.fromM(Map.of("e", s(""))));
        dynamo.putItem(r -> r.tableName(T).item(it));
        assertThat(dynamo.getItem(r -> r.tableName(T).key(item("pk", s("empties")))).item()).isEqualTo(it);
    }

    // --- numbers

    @Test
    void numbersAreNormalized() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("1.50", "1.5"),
                Map.entry("0042.1200", "42.12"),
                Map.entry("-0", "0"),
                Map.entry("0.000", "0"),
                Map.entry("1E3", "1000"),
                Map.entry("1.5e+2", "150"),
                Map.entry("-1.0e-2", "-0.01"),
                Map.entry("123e-5", "0.00123"),
                Map.entry("1E125", "1" + "0".repeat(125)),
                Map.entry("1E-130", "0." + "0".repeat(129) + "1"));
        cases.forEach((in, out) -> assertThat(roundTrip(n(in)).n()).as(in).isEqualTo(out));
    }

    @Test
    void thirtyEightSignificantDigitsArePreserved() {
        String d38 = "12345678901234567890123456789012345678";
        assertThat(roundTrip(n(d38)).n()).isEqualTo(d38);
        assertThat(roundTrip(n("-" + d38)).n()).isEqualTo("-" + d38);
        assertThat(roundTrip(n("0." + d38)).n()).isEqualTo("0." + d38);
        assertThat(roundTrip(n("1234567890123456789.0123456789012345678")).n()).isEqualTo("1234567890123456789.0123456789012345678");
        // Trailing zeros are not significant: 1E38 has one significant digit.
        assertThat(roundTrip(n("1" + "0".repeat(38))).n()).isEqualTo("1" + "0".repeat(38));
        assertThat(roundTrip(n("9.9999999999999999999999999999999999999E+125")).n())
                .isEqualTo("99999999999999999999999999999999999999" + "0".repeat(88));
        assertThat(roundTrip(n("-9.9999999999999999999999999999999999999E+125")).n())
                .isEqualTo("-99999999999999999999999999999999999999" + "0".repeat(88));
    }

    @Test
    void moreThanThirtyEightSignificantDigitsAreRefused() {
        refused(n("123456789012345678901234567890123456789"), "Attempting to store more than 38 significant digits in a Number");
        refused(n("1.23456789012345678901234567890123456789"), "Attempting to store more than 38 significant digits in a Number");
        refused(AttributeValue.fromNs(List.of("1", "123456789012345678901234567890123456789")),
                "Attempting to store more than 38 significant digits in a Number");
    }

    @Test
    void numberOverflowIsRefused() {
        refused(n("1E126"), "Number overflow. Attempting to store a number with magnitude larger than supported range");
        refused(n("-1E126"), "Number overflow. Attempting to store a number with magnitude larger than supported range");
        refused(n("1" + "0".repeat(126)), "Number overflow. Attempting to store a number with magnitude larger than supported range");
    }

    @Test
    void numberUnderflowIsRefused() {
        refused(n("1E-131"), "Number underflow. Attempting to store a number with magnitude smaller than supported range");
        refused(n("-9E-131"), "Number underflow. Attempting to store a number with magnitude smaller than supported range");
        refused(n("0." + "0".repeat(130) + "1"), "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    }

    @Test
    void unparsableNumbersAreRefused() {
        for (String bad : List.of("abc", "1.2.3", "NaN", "Infinity", "-Infinity", "0x10", "1e", "e5", " 1", "1 ", "--1", "1,5", "")) {
            assertValidation(() -> dynamo.putItem(r -> r.tableName(T).item(item("pk", s("refused"), "v", n(bad)))),
                    "The parameter cannot be converted to a numeric value");
        }
        refused(AttributeValue.fromNs(List.of("1", "x")), "The parameter cannot be converted to a numeric value");
    }

    // --- sets

    @Test
    void emptySetsAreRefused() {
        refused(AttributeValue.fromSs(List.of()), "One or more parameter values were invalid: An string set  may not be empty");
        refused(AttributeValue.fromNs(List.of()), "One or more parameter values were invalid: An number set  may not be empty");
        refused(AttributeValue.fromBs(List.of()), "One or more parameter values were invalid: Binary sets should not be empty");
    }

    @Test
    void emptySetsInsideAListOrMapAreRefused() {
        refused(AttributeValue.fromL(List.of(AttributeValue.fromSs(List.of()))), "An string set  may not be empty");
        refused(AttributeValue.fromM(Map.of("k", AttributeValue.fromNs(List.of()))), "An number set  may not be empty");
    }

    @Test
    void duplicateSetElementsAreRefused() {
        refused(AttributeValue.fromSs(List.of("a", "b", "b")), "contains duplicates");
        refused(AttributeValue.fromNs(List.of("1", "2", "1")), "contains duplicates");
        refused(AttributeValue.fromBs(List.of(bytes(0), bytes(0xff), bytes(0))), "contains duplicates");
        refused(AttributeValue.fromSs(List.of("a", "b", "b")), "One or more parameter values were invalid: Input collection");
    }

    // --- malformed AttributeValues

    @Test
    void emptyAttributeValueIsRefused() {
        refused(AttributeValue.builder().build(), "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        refused(AttributeValue.fromL(List.of(AttributeValue.builder().build())),
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    }

    @Test
    void attributeValueWithSeveralDatatypesIsRefused() {
        refused(AttributeValue.builder().s("a").n("1").build(),
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
        refused(AttributeValue.builder().bool(true).nul(true).build(),
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
        refused(AttributeValue.fromM(Map.of("k", AttributeValue.builder().s("a").ss("b").build())),
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
    }

    @Test
    void nullFalseIsRefused() {
        refused(AttributeValue.builder().nul(false).build(),
                "One or more parameter values were invalid: Null attribute value types must have the value of true");
    }

    @Test
    void invalidValuesInExpressionAttributeValuesAreRefusedToo() {
        String pk = "k" + (++keys);
        dynamo.putItem(r -> r.tableName(T).item(item("pk", s(pk))));
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", AttributeValue.fromSs(List.of())))), "may not be empty");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", n("abc")))), "The parameter cannot be converted to a numeric value");
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", AttributeValue.builder().build()))), "Supplied AttributeValue is empty");
    }

    // --- nesting depth: the attribute is level 1, so 31 wraps (32 levels) are the most accepted

    private static AttributeValue nested(int wraps, boolean lists) {
        AttributeValue v = s("leaf");
        for (int i = 0; i < wraps; i++) {
            v = lists ? AttributeValue.fromL(List.of(v)) : AttributeValue.fromM(Map.of("k", v));
        }
        return v;
    }

    @Test
    void thirtyOneNestedLevelsAreAcceptedAndOneMoreRefused() {
        assertThat(roundTrip(nested(31, false))).isEqualTo(nested(31, false));
        assertThat(roundTrip(nested(31, true))).isEqualTo(nested(31, true));
        refused(nested(32, false), "Nesting Levels have exceeded supported limits");
        refused(nested(32, true), "Nesting Levels have exceeded supported limits");
    }

    @Test
    void nestingLimitAppliesToUpdatesToo() {
        String pk = "k" + (++keys);
        dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET v = :v")
                .expressionAttributeValues(item(":v", nested(31, false))));
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET w = :v")
                .expressionAttributeValues(item(":v", nested(32, false)))), "Nesting Levels have exceeded supported limits");
        // Putting a 31-wrap value one level down in a map makes 33 levels.
        dynamo.putItem(r -> r.tableName(T).item(item("pk", s(pk), "m", AttributeValue.fromM(Map.of()))));
        assertValidation(() -> dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET m.x = :v")
                .expressionAttributeValues(item(":v", nested(31, false)))), "Nesting Levels have exceeded supported limits");
        dynamo.updateItem(r -> r.tableName(T).key(item("pk", s(pk))).updateExpression("SET m.x = :v")
                .expressionAttributeValues(item(":v", nested(30, false))));
        assertThat(dynamo.getItem(r -> r.tableName(T).key(item("pk", s(pk))).consistentRead(true)).item().get("m"))
                .isEqualTo(AttributeValue.fromM(Map.of("x", nested(30, false))));
    }

    @Test
    void stringsComeBackByteForByte() {
        String v = "\uD83D\uDE00 surrogate pair and \u00e9 composed and e\u0301 decomposed";
        assertThat(roundTrip(s(v)).s().getBytes(StandardCharsets.UTF_8)).isEqualTo(v.getBytes(StandardCharsets.UTF_8));
    }
}
