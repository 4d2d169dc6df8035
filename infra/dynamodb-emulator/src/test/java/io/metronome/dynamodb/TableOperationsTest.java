package io.metronome.dynamodb;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.CreateTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ListTablesResponse;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughput;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveDescription;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.dynamodb.model.UpdateTimeToLiveResponse;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Table operations, written from the DynamoDB API Reference "CreateTable", "DescribeTable", "DeleteTable",
 * "ListTables", "UpdateTimeToLive", "DescribeTimeToLive", the Developer Guide "Service, account, and table quotas"
 * (ServiceQuotas.html: naming rules, 20 GSIs and 5 LSIs per table), "Local secondary indexes" (same partition key
 * as the table, a table with a sort key) and "Time to Live (TTL)" (howitworks-ttl.html and
 * time-to-live-ttl-before-you-start.html: epoch seconds in an N attribute, items more than five years in the past
 * are not deleted, expired items are removed from the indexes too).
 */
class TableOperationsTest extends Conformance {

    private static final AtomicInteger NAMES = new AtomicInteger();

    static String name(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet() + "-" + Math.floorMod(System.nanoTime(), 1_000_000);
    }

    static AttributeDefinition def(String name, ScalarAttributeType type) {
        return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
    }

    static AttributeDefinition def(String name) {
        return def(name, ScalarAttributeType.S);
    }

    static KeySchemaElement hash(String name) {
        return KeySchemaElement.builder().attributeName(name).keyType(KeyType.HASH).build();
    }

    static KeySchemaElement range(String name) {
        return KeySchemaElement.builder().attributeName(name).keyType(KeyType.RANGE).build();
    }

    static Projection keysOnly() {
        return Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build();
    }

    static GlobalSecondaryIndex gsi(String name, KeySchemaElement... key) {
        return GlobalSecondaryIndex.builder().indexName(name).keySchema(key).projection(keysOnly()).build();
    }

    static LocalSecondaryIndex lsi(String name, String hashKey, String sortKey) {
        return LocalSecondaryIndex.builder().indexName(name).keySchema(hash(hashKey), range(sortKey)).projection(keysOnly()).build();
    }

    static ProvisionedThroughput throughput(long read, long write) {
        return ProvisionedThroughput.builder().readCapacityUnits(read).writeCapacityUnits(write).build();
    }

    static CreateTableResponse create(String name, Consumer<CreateTableRequest.Builder> adjust) {
        CreateTableRequest.Builder b = CreateTableRequest.builder().tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(def("pk")).keySchema(hash("pk"));
        adjust.accept(b);
        return dynamo.createTable(b.build());
    }

    static void validation(ThrowingCallable call, String fragment) {
        assertThatThrownBy(call).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).contains(fragment);
        });
    }

    static void notFound(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(ResourceNotFoundException.class);
    }

    // ---- CreateTable / DescribeTable ----

    @Test
    void createAndDescribeATableWithIndexes() {
        String t = name("ct");
        CreateTableResponse created = create(t, b -> b
                .attributeDefinitions(def("pk"), def("sk", ScalarAttributeType.N), def("gk"), def("ls", ScalarAttributeType.B))
                .keySchema(hash("pk"), range("sk"))
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("gsi1").keySchema(hash("gk"), range("sk"))
                        .projection(Projection.builder().projectionType(ProjectionType.INCLUDE).nonKeyAttributes("x", "y").build()).build())
                .localSecondaryIndexes(LocalSecondaryIndex.builder().indexName("lsi1").keySchema(hash("pk"), range("ls"))
                        .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build()));
        TableDescription c = created.tableDescription();
        assertThat(c.tableName()).isEqualTo(t);
        assertThat(c.tableStatus()).isEqualTo(TableStatus.CREATING);
        assertThat(c.keySchema()).containsExactly(hash("pk"), range("sk"));
        assertThat(c.itemCount()).isZero();

        TableDescription d = dynamo.describeTable(r -> r.tableName(t)).table();
        assertThat(d.tableName()).isEqualTo(t);
        assertThat(d.tableStatus()).isEqualTo(TableStatus.ACTIVE);
        assertThat(d.keySchema()).containsExactly(hash("pk"), range("sk"));
        assertThat(d.attributeDefinitions()).containsExactlyInAnyOrder(def("pk"), def("sk", ScalarAttributeType.N), def("gk"),
                def("ls", ScalarAttributeType.B));
        assertThat(d.tableArn()).matches("arn:aws:dynamodb:[a-z0-9-]+:[0-9]{12}:table/" + t.replace(".", "\\."));
        assertThat(d.billingModeSummary().billingMode()).isEqualTo(BillingMode.PAY_PER_REQUEST);
        assertThat(d.creationDateTime()).isNotNull();
        assertThat(d.itemCount()).isZero();
        assertThat(d.tableSizeBytes()).isZero();

        assertThat(d.globalSecondaryIndexes()).hasSize(1);
        GlobalSecondaryIndexDescription g = d.globalSecondaryIndexes().get(0);
        assertThat(g.indexName()).isEqualTo("gsi1");
        assertThat(g.keySchema()).containsExactly(hash("gk"), range("sk"));
        assertThat(g.projection().projectionType()).isEqualTo(ProjectionType.INCLUDE);
        assertThat(g.projection().nonKeyAttributes()).containsExactlyInAnyOrder("x", "y");
        assertThat(g.indexStatus()).isEqualTo(IndexStatus.ACTIVE);
        assertThat(g.indexArn()).isEqualTo(d.tableArn() + "/index/gsi1");

        assertThat(d.localSecondaryIndexes()).hasSize(1);
        LocalSecondaryIndexDescription l = d.localSecondaryIndexes().get(0);
        assertThat(l.indexName()).isEqualTo("lsi1");
        assertThat(l.keySchema()).containsExactly(hash("pk"), range("ls"));
        assertThat(l.projection().projectionType()).isEqualTo(ProjectionType.ALL);
        assertThat(l.indexArn()).isEqualTo(d.tableArn() + "/index/lsi1");

        for (int i = 0; i < 3; i++) {
            int x = i;
            dynamo.putItem(r -> r.tableName(t).item(item("pk", s("p"), "sk", n(Integer.toString(x)), "x", s("xx"))));
        }
        TableDescription after = dynamo.describeTable(r -> r.tableName(t)).table();
        assertThat(after.itemCount()).isEqualTo(3);
        assertThat(after.tableSizeBytes()).isPositive();
    }

    @Test
    void provisionedTableDescribesItsThroughput() {
        String t = name("prov");
        create(t, b -> b.billingMode(BillingMode.PROVISIONED).provisionedThroughput(throughput(7, 3))
                .attributeDefinitions(def("pk"), def("gk"))
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("gsi1").keySchema(hash("gk")).projection(keysOnly())
                        .provisionedThroughput(throughput(2, 1)).build()));
        TableDescription d = dynamo.describeTable(r -> r.tableName(t)).table();
        assertThat(d.provisionedThroughput().readCapacityUnits()).isEqualTo(7);
        assertThat(d.provisionedThroughput().writeCapacityUnits()).isEqualTo(3);
        assertThat(d.globalSecondaryIndexes().get(0).provisionedThroughput().readCapacityUnits()).isEqualTo(2);
        assertThat(d.globalSecondaryIndexes().get(0).provisionedThroughput().writeCapacityUnits()).isEqualTo(1);
        // BillingMode defaults to PROVISIONED.
        String u = name("prov");
        dynamo.createTable(r -> r.tableName(u).attributeDefinitions(def("pk")).keySchema(hash("pk")).provisionedThroughput(throughput(1, 1)));
        assertThat(dynamo.describeTable(r -> r.tableName(u)).table().provisionedThroughput().readCapacityUnits()).isEqualTo(1);
    }

    @Test
    void throughputRulesOfTheBillingModes() {
        validation(() -> create(name("bm"), b -> b.provisionedThroughput(throughput(1, 1))),
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
        validation(() -> create(name("bm"), b -> b.billingMode(BillingMode.PROVISIONED)),
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        validation(() -> dynamo.createTable(r -> r.tableName(name("bm")).attributeDefinitions(def("pk")).keySchema(hash("pk"))),
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        validation(() -> create(name("bm"), b -> b.billingMode(BillingMode.PROVISIONED).provisionedThroughput(throughput(0, 1))),
                "Member must have value greater than or equal to 1");
    }

    @Test
    void aGsiOfAnOnDemandTableTakesNoThroughput() {
        validation(() -> create(name("bm"), b -> b.attributeDefinitions(def("pk"), def("gk"))
                        .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("gsi1").keySchema(hash("gk")).projection(keysOnly())
                                .provisionedThroughput(throughput(1, 1)).build())),
                "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: gsi1 when BillingMode is PAY_PER_REQUEST");
    }

    @Test
    void aGsiOfAProvisionedTableNeedsThroughput() {
        validation(() -> create(name("bm"), b -> b.billingMode(BillingMode.PROVISIONED).provisionedThroughput(throughput(1, 1))
                        .attributeDefinitions(def("pk"), def("gk")).globalSecondaryIndexes(gsi("gsi1", hash("gk")))),
                "One or more parameter values were invalid: ProvisionedThroughput is not specified for index: gsi1");
    }

    @Test
    void anUnusedAttributeDefinitionWithoutIndexes() {
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("pk"), def("unused"))),
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    }

    @Test
    void moreKeysThanAttributeDefinitions() {
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("pk")).keySchema(hash("pk"), range("sk"))),
                "Invalid KeySchema: Some index key attribute have no definition");
    }

    @Test
    void attributeDefinitionsMustMatchTheKeysExactly() {
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("pk"), def("gk"), def("unused"))
                        .globalSecondaryIndexes(gsi("gsi1", hash("gk")))),
                "One or more parameter values were invalid: Some AttributeDefinitions are not used");
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("other"))),
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions");
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("pk")).globalSecondaryIndexes(gsi("gsi1", hash("gk")))),
                "Some index key attributes are not defined in AttributeDefinitions");
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("pk"), def("sk")).keySchema(range("sk"), hash("pk"))),
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
        validation(() -> create(name("ad"), b -> b.attributeDefinitions(def("pk"), def("gk"))
                        .globalSecondaryIndexes(gsi("gsi1", hash("gk")), gsi("gsi1", hash("gk")))),
                "One or more parameter values were invalid: Duplicate index name: gsi1");
    }

    @Test
    void tableNameRules() {
        String three = "x" + (char) ('a' + Math.floorMod(NAMES.incrementAndGet(), 26)) + (char) ('a' + Math.floorMod(System.nanoTime(), 26));
        try {
            create(three, b -> { });
            assertThat(dynamo.describeTable(r -> r.tableName(three)).table().tableName()).isEqualTo(three);
        } finally {
            dynamo.deleteTable(r -> r.tableName(three));
        }
        String base = name("n_.-Az09");
        String longest = base + "a".repeat(255 - base.length());
        create(longest, b -> { });
        assertThat(dynamo.describeTable(r -> r.tableName(longest)).table().tableName()).hasSize(255);

        assertThatThrownBy(() -> create("ab", b -> { })).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).containsAnyOf("TableName must be at least 3 characters long and at most 255 characters long",
                    "Member must have length greater than or equal to 3");
        });
        assertThatThrownBy(() -> create(longest + "b", b -> { })).isInstanceOfSatisfying(DynamoDbException.class, e -> {
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
            assertThat(e.awsErrorDetails().errorMessage()).containsAnyOf("TableName must be at least 3 characters long and at most 255 characters long",
                    "Member must have length less than or equal to 255");
        });
        validation(() -> create("bad table!@#", b -> { }),
                "Value 'bad table!@#' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        validation(() -> create(name("idx"), b -> b.attributeDefinitions(def("pk"), def("gk")).globalSecondaryIndexes(gsi("gsi!", hash("gk")))),
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }

    @Test
    void creatingAnExistingTableIsResourceInUse() {
        String t = name("dup");
        create(t, b -> { });
        assertThatThrownBy(() -> create(t, b -> { })).isInstanceOfSatisfying(ResourceInUseException.class,
                e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Table already exists"));
    }

    @Test
    void twentyGlobalIndexesAreAcceptedAndTwentyOneRefused() {
        for (int count : new int[]{20, 21}) {
            List<AttributeDefinition> defs = new ArrayList<>(List.of(def("pk")));
            List<GlobalSecondaryIndex> indexes = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                defs.add(def("g" + i));
                indexes.add(gsi("gsi" + i, hash("g" + i)));
            }
            String t = name("g" + count);
            if (count == 20) {
                create(t, b -> b.attributeDefinitions(defs).globalSecondaryIndexes(indexes));
                assertThat(dynamo.describeTable(r -> r.tableName(t)).table().globalSecondaryIndexes()).hasSize(20);
            } else {
                validation(() -> create(t, b -> b.attributeDefinitions(defs).globalSecondaryIndexes(indexes)),
                        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20");
                notFound(() -> dynamo.describeTable(r -> r.tableName(t)));
            }
        }
    }

    @Test
    void fiveLocalIndexesAreAcceptedAndSixRefused() {
        for (int count : new int[]{5, 6}) {
            List<AttributeDefinition> defs = new ArrayList<>(List.of(def("pk"), def("sk")));
            List<LocalSecondaryIndex> indexes = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                defs.add(def("l" + i));
                indexes.add(lsi("lsi" + i, "pk", "l" + i));
            }
            String t = name("l" + count);
            if (count == 5) {
                create(t, b -> b.attributeDefinitions(defs).keySchema(hash("pk"), range("sk")).localSecondaryIndexes(indexes));
                assertThat(dynamo.describeTable(r -> r.tableName(t)).table().localSecondaryIndexes()).hasSize(5);
            } else {
                validation(() -> create(t, b -> b.attributeDefinitions(defs).keySchema(hash("pk"), range("sk")).localSecondaryIndexes(indexes)),
                        "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5");
                notFound(() -> dynamo.describeTable(r -> r.tableName(t)));
            }
        }
    }

    @Test
    void localIndexesNeedTheTablesHashKeyAndASortKeyTable() {
        validation(() -> create(name("lsi"), b -> b.attributeDefinitions(def("pk"), def("sk"), def("other"), def("ls"))
                        .keySchema(hash("pk"), range("sk")).localSecondaryIndexes(lsi("lsi1", "other", "ls"))),
                "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi1. index hash key: other, table hash key: pk");
        validation(() -> create(name("lsi"), b -> b.attributeDefinitions(def("pk"), def("ls")).localSecondaryIndexes(lsi("lsi1", "pk", "ls"))),
                "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
    }

    @Test
    void aLocalIndexNeedsASortKey() {
        validation(() -> create(name("lsi"), b -> b.attributeDefinitions(def("pk"), def("sk")).keySchema(hash("pk"), range("sk"))
                        .localSecondaryIndexes(LocalSecondaryIndex.builder().indexName("lsi1").keySchema(hash("pk")).projection(keysOnly()).build())),
                "One or more parameter values were invalid: Index KeySchema does not have a range key for index: lsi1");
    }

    // ---- DeleteTable ----

    @Test
    void deleteTableThenItIsGone() {
        String t = name("del");
        create(t, b -> { });
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"))));
        DeleteTableResponse deleted = dynamo.deleteTable(r -> r.tableName(t));
        assertThat(deleted.tableDescription().tableName()).isEqualTo(t);
        assertThat(deleted.tableDescription().tableStatus()).isEqualTo(TableStatus.DELETING);
        assertThatThrownBy(() -> dynamo.describeTable(r -> r.tableName(t))).isInstanceOfSatisfying(ResourceNotFoundException.class,
                e -> assertThat(e.awsErrorDetails().errorMessage()).contains("Requested resource not found"));
        notFound(() -> dynamo.getItem(r -> r.tableName(t).key(item("pk", s("a")))));
        notFound(() -> dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a")))));
        notFound(() -> dynamo.deleteTable(r -> r.tableName(t)));
        assertThat(allTableNames()).doesNotContain(t);
        // The name can be used again, and the new table starts empty.
        create(t, b -> { });
        assertThat(dynamo.scan(r -> r.tableName(t)).count()).isZero();
    }

    // ---- ListTables ----

    static List<String> allTableNames() {
        List<String> names = new ArrayList<>();
        String start = null;
        int pages = 0;
        do {
            String esk = start;
            ListTablesResponse r = dynamo.listTables(b -> b.exclusiveStartTableName(esk));
            names.addAll(r.tableNames());
            start = r.lastEvaluatedTableName();
            pages++;
        } while (start != null && pages < 1000);
        return names;
    }

    @Test
    void listTablesPagesInNameOrder() {
        String prefix = name("lt");
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String t = prefix + "-" + i;
            mine.add(t);
            create(t, b -> { });
        }
        List<String> seen = new ArrayList<>();
        String start = null;
        int pages = 0;
        do {
            String esk = start;
            ListTablesResponse r = dynamo.listTables(b -> b.limit(3).exclusiveStartTableName(esk));
            assertThat(r.tableNames()).hasSizeLessThanOrEqualTo(3);
            seen.addAll(r.tableNames());
            start = r.lastEvaluatedTableName();
            if (start != null) {
                assertThat(r.tableNames()).hasSize(3);
                assertThat(start).isEqualTo(r.tableNames().get(2));
            }
            pages++;
        } while (start != null && pages < 1000);
        assertThat(seen).doesNotHaveDuplicates().isSorted().containsAll(mine);
        assertThat(seen).isEqualTo(allTableNames());

        ListTablesResponse two = dynamo.listTables(b -> b.limit(2).exclusiveStartTableName(mine.get(1)));
        assertThat(two.tableNames()).containsExactly(mine.get(2), mine.get(3));
        assertThat(two.lastEvaluatedTableName()).isEqualTo(mine.get(3));
        // A start name need not be an existing table.
        ListTablesResponse after = dynamo.listTables(b -> b.limit(1).exclusiveStartTableName(prefix + "-3a"));
        assertThat(after.tableNames()).containsExactly(mine.get(4));
        ListTablesResponse unlimited = dynamo.listTables(b -> b.exclusiveStartTableName(mine.get(0)));
        assertThat(unlimited.tableNames()).hasSizeLessThanOrEqualTo(100).startsWith(mine.get(1), mine.get(2));

        validation(() -> dynamo.listTables(b -> b.limit(0)), "Member must have value greater than or equal to 1");
        validation(() -> dynamo.listTables(b -> b.limit(101)), "Member must have value less than or equal to 100");
        assertThat(dynamo.listTables(b -> b.limit(100)).tableNames()).hasSizeLessThanOrEqualTo(100);
    }

    // ---- Time to Live ----

    @Test
    void updateAndDescribeTimeToLive() {
        String t = name("ttl");
        create(t, b -> { });
        TimeToLiveDescription initial = dynamo.describeTimeToLive(r -> r.tableName(t)).timeToLiveDescription();
        assertThat(initial.timeToLiveStatus()).isEqualTo(TimeToLiveStatus.DISABLED);
        assertThat(initial.attributeName()).isNull();

        UpdateTimeToLiveResponse on = dynamo.updateTimeToLive(r -> r.tableName(t)
                .timeToLiveSpecification(s -> s.attributeName("exp").enabled(true)));
        assertThat(on.timeToLiveSpecification().attributeName()).isEqualTo("exp");
        assertThat(on.timeToLiveSpecification().enabled()).isTrue();
        TimeToLiveDescription enabled = dynamo.describeTimeToLive(r -> r.tableName(t)).timeToLiveDescription();
        assertThat(enabled.timeToLiveStatus()).isIn(TimeToLiveStatus.ENABLED, TimeToLiveStatus.ENABLING);
        assertThat(enabled.attributeName()).isEqualTo("exp");
        validation(() -> dynamo.updateTimeToLive(r -> r.tableName(t).timeToLiveSpecification(s -> s.attributeName("exp").enabled(true))),
                "TimeToLive is already enabled");

        UpdateTimeToLiveResponse off = dynamo.updateTimeToLive(r -> r.tableName(t)
                .timeToLiveSpecification(s -> s.attributeName("exp").enabled(false)));
        assertThat(off.timeToLiveSpecification().enabled()).isFalse();
        assertThat(dynamo.describeTimeToLive(r -> r.tableName(t)).timeToLiveDescription().timeToLiveStatus())
                .isIn(TimeToLiveStatus.DISABLED, TimeToLiveStatus.DISABLING);

        String u = name("ttl");
        create(u, b -> { });
        validation(() -> dynamo.updateTimeToLive(r -> r.tableName(u).timeToLiveSpecification(s -> s.attributeName("exp").enabled(false))),
                "TimeToLive is already disabled");
        notFound(() -> dynamo.describeTimeToLive(r -> r.tableName("no-such-table-ttl")));
        notFound(() -> dynamo.updateTimeToLive(r -> r.tableName("no-such-table-ttl")
                .timeToLiveSpecification(s -> s.attributeName("exp").enabled(true))));
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 15 s for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static boolean exists(DynamoDbClient client, String table, String pk) {
        return client.getItem(r -> r.tableName(table).key(item("pk", s(pk))).consistentRead(true)).hasItem();
    }

    static List<String> pks(DynamoDbClient client, String table) {
        return client.scan(r -> r.tableName(table)).items().stream().map(i -> i.get("pk").s()).sorted().collect(Collectors.toList());
    }

    static final long YEAR = 365L * 24 * 3600;

    static void putTtlItems(DynamoDbClient client, String table, long nowSeconds) {
        client.putItem(r -> r.tableName(table).item(item("pk", s("past"), "exp", n(Long.toString(nowSeconds - 3600)), "gk", s("G"))));
        client.putItem(r -> r.tableName(table).item(item("pk", s("fourYears"), "exp", n(Long.toString(nowSeconds - 4 * YEAR)))));
        client.putItem(r -> r.tableName(table).item(item("pk", s("sixYears"), "exp", n(Long.toString(nowSeconds - 6 * YEAR)), "gk", s("G"))));
        client.putItem(r -> r.tableName(table).item(item("pk", s("string"), "exp", s(Long.toString(nowSeconds - 3600)))));
        client.putItem(r -> r.tableName(table).item(item("pk", s("future"), "exp", n(Long.toString(nowSeconds + 24 * 3600)), "gk", s("G"))));
        client.putItem(r -> r.tableName(table).item(item("pk", s("millis"), "exp", n(Long.toString(nowSeconds * 1000)))));
        client.putItem(r -> r.tableName(table).item(item("pk", s("none"), "gk", s("G"))));
    }

    static CreateTableRequest ttlTable(String name) {
        return CreateTableRequest.builder().tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(def("pk"), def("gk")).keySchema(hash("pk"))
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("byG").keySchema(hash("gk"))
                        .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build()).build();
    }

    static List<String> inIndex(DynamoDbClient client, String table) {
        return client.query(r -> r.tableName(table).indexName("byG").keyConditionExpression("gk = :g")
                        .expressionAttributeValues(item(":g", s("G")))).items().stream()
                .map(i -> i.get("pk").s()).sorted().collect(Collectors.toList());
    }

    @Test
    void expiredItemsAreDeletedAndLeaveTheirIndexes() {
        String t = name("exp");
        dynamo.createTable(ttlTable(t));
        String off = name("exp");
        dynamo.createTable(ttlTable(off));
        long now = Instant.now().getEpochSecond();
        putTtlItems(dynamo, t, now);
        putTtlItems(dynamo, off, now);
        EMULATOR.deleteExpiredItems();
        assertThat(pks(dynamo, t)).hasSize(7); // TTL not enabled yet: nothing expires
        dynamo.updateTimeToLive(r -> r.tableName(t).timeToLiveSpecification(s -> s.attributeName("exp").enabled(true)));
        EMULATOR.deleteExpiredItems();
        await(() -> !exists(dynamo, t, "past") && !exists(dynamo, t, "fourYears"), "the expired items to go");
        assertThat(pks(dynamo, t)).containsExactly("future", "millis", "none", "sixYears", "string");
        assertThat(inIndex(dynamo, t)).containsExactly("future", "none", "sixYears");
        assertThat(dynamo.scan(r -> r.tableName(t).indexName("byG")).count()).isEqualTo(3);
        // The table without TTL keeps everything.
        EMULATOR.deleteExpiredItems();
        assertThat(pks(dynamo, off)).hasSize(7);
        assertThat(inIndex(dynamo, off)).hasSize(4);
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void theBackgroundSweepDeletesItemsOnceTheirTimeHasPassed() {
        Instant start = Instant.parse("2030-01-01T00:00:00Z");
        MovableClock clock = new MovableClock(start);
        try (DynamoDbEmulator emulator = DynamoDbEmulator.builder().clock(clock).ttlSweepInterval(Duration.ofMillis(50)).build();
             DynamoDbClient client = client(emulator.endpoint())) {
            String t = name("sweep");
            client.createTable(ttlTable(t));
            client.updateTimeToLive(r -> r.tableName(t).timeToLiveSpecification(s -> s.attributeName("exp").enabled(true)));
            putTtlItems(client, t, start.getEpochSecond());
            await(() -> !exists(client, t, "past") && !exists(client, t, "fourYears"), "the sweep to delete the expired items");
            assertThat(pks(client, t)).containsExactly("future", "millis", "none", "sixYears", "string");
            assertThat(inIndex(client, t)).containsExactly("future", "none", "sixYears");

            clock.now = start.plus(Duration.ofDays(2));
            await(() -> !exists(client, t, "future"), "the sweep to delete the item once its time passed");
            assertThat(pks(client, t)).containsExactly("millis", "none", "sixYears", "string");
            assertThat(inIndex(client, t)).containsExactly("none", "sixYears");
        }
    }
}
