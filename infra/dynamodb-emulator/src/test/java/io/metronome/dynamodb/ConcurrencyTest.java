package io.metronome.dynamodb;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrent writers and readers, written from the Developer Guide: "Condition expressions" / optimistic locking
 * with a version attribute (WorkingWithItems.md#WorkingWithItems.ConditionalUpdate, DynamoDBMapper.OptimisticLocking),
 * "Isolation levels for DynamoDB transactions" (transaction-apis.md: TransactWriteItems and TransactGetItems are
 * serializable with each other), and PutItem's attribute_not_exists idiom (Expressions.ConditionExpressions.md).
 */
class ConcurrencyTest extends Conformance {

    private static <T> List<T> runAll(int threads, Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(task));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(5, TimeUnit.MINUTES));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void optimisticIncrementsLoseNothing() throws Exception {
        String t = table(false);
        Map<String, AttributeValue> key = item("pk", s("counter"));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("counter"), "rev", n("0"))));
        int threads = 8;
        int increments = 200;
        AtomicInteger successes = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();

        runAll(threads, () -> {
            for (int i = 0; i < increments; i++) {
                while (true) {
                    String read = dynamo.getItem(r -> r.tableName(t).key(key).consistentRead(true)).item().get("rev").n();
                    String next = Long.toString(Long.parseLong(read) + 1);
                    try {
                        dynamo.updateItem(r -> r.tableName(t).key(key).updateExpression("SET rev = :next")
                                .conditionExpression("rev = :read")
                                .expressionAttributeValues(item(":next", n(next), ":read", n(read))));
                        successes.incrementAndGet();
                        break;
                    } catch (ConditionalCheckFailedException e) {
                        conflicts.incrementAndGet();
                    }
                }
            }
            return null;
        });

        String finalRev = dynamo.getItem(r -> r.tableName(t).key(key).consistentRead(true)).item().get("rev").n();
        assertThat(successes.get()).isEqualTo(threads * increments);
        assertThat(finalRev).isEqualTo(Integer.toString(successes.get()));
    }

    @Test
    void concurrentTransfersKeepTheTotalAndReadersNeverSeeATornState() throws Exception {
        String t = table(false);
        Map<String, AttributeValue> a = item("pk", s("a"));
        Map<String, AttributeValue> b = item("pk", s("b"));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("a"), "bal", n("1000"))));
        dynamo.putItem(r -> r.tableName(t).item(item("pk", s("b"), "bal", n("1000"))));
        int writers = 4;
        int transfersEach = 150;
        AtomicLong netAtoB = new AtomicLong();   // sum of the committed amounts moved from a to b
        AtomicInteger committed = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger reads = new AtomicInteger();
        ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();

        ExecutorService readers = Executors.newFixedThreadPool(2);
        List<Future<?>> readerFutures = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readerFutures.add(readers.submit(() -> {
                while (writing.get() || reads.get() < 20) {
                    try {
                        TransactGetItemsResponse got = dynamo.transactGetItems(q -> q.transactItems(
                                TransactGetItem.builder().get(g -> g.tableName(t).key(a)).build(),
                                TransactGetItem.builder().get(g -> g.tableName(t).key(b)).build()));
                        long sum = Long.parseLong(got.responses().get(0).item().get("bal").n())
                                + Long.parseLong(got.responses().get(1).item().get("bal").n());
                        if (sum != 2000) {
                            torn.add("a+b = " + sum);
                        }
                        reads.incrementAndGet();
                    } catch (TransactionCanceledException e) {
                        // a read that conflicted with a write in flight is cancelled, never torn
                    }
                }
                return null;
            }));
        }

        try {
            runAll(writers, () -> {
                Random random = new Random();
                for (int i = 0; i < transfersEach; i++) {
                    boolean aToB = random.nextBoolean();
                    int amount = 1 + random.nextInt(50);
                    Map<String, AttributeValue> from = aToB ? a : b;
                    Map<String, AttributeValue> to = aToB ? b : a;
                    try {
                        dynamo.transactWriteItems(q -> q.transactItems(
                                TransactWriteItem.builder().update(u -> u.tableName(t).key(from)
                                        .updateExpression("SET bal = bal - :x").conditionExpression("bal >= :x")
                                        .expressionAttributeValues(item(":x", n(Integer.toString(amount))))).build(),
                                TransactWriteItem.builder().update(u -> u.tableName(t).key(to)
                                        .updateExpression("SET bal = bal + :x")
                                        .expressionAttributeValues(item(":x", n(Integer.toString(amount))))).build()));
                        netAtoB.addAndGet(aToB ? amount : -amount);
                        committed.incrementAndGet();
                    } catch (TransactionCanceledException e) {
                        // insufficient balance, or a conflict: not applied
                    }
                }
                return null;
            });
            writing.set(false);
            for (Future<?> f : readerFutures) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            writing.set(false);
            readers.shutdownNow();
        }

        long balA = Long.parseLong(dynamo.getItem(r -> r.tableName(t).key(a).consistentRead(true)).item().get("bal").n());
        long balB = Long.parseLong(dynamo.getItem(r -> r.tableName(t).key(b).consistentRead(true)).item().get("bal").n());
        assertThat(torn).isEmpty();
        assertThat(reads.get()).isGreaterThanOrEqualTo(20);
        assertThat(committed.get()).isGreaterThan(0);
        assertThat(balA + balB).isEqualTo(2000);
        assertThat(balA).isEqualTo(1000 - netAtoB.get());
        assertThat(balB).isEqualTo(1000 + netAtoB.get());
        assertThat(balA).isNotNegative();
        assertThat(balB).isNotNegative();
    }

    @Test
    void concurrentConditionalCreatesOfOneKeyHaveExactlyOneWinner() throws Exception {
        String t = table(false);
        int threads = 12;
        for (int round = 0; round < 20; round++) {
            String pk = "k" + round;
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger ids = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<String>> outcomes = new ArrayList<>();
            try {
                for (int i = 0; i < threads; i++) {
                    outcomes.add(pool.submit(() -> {
                        String me = "writer-" + ids.incrementAndGet();
                        start.await();
                        try {
                            dynamo.putItem(r -> r.tableName(t).item(item("pk", s(pk), "owner", s(me)))
                                    .conditionExpression("attribute_not_exists(pk)"));
                            return me;
                        } catch (ConditionalCheckFailedException e) {
                            return null;
                        }
                    }));
                }
                start.countDown();
                List<String> winners = new ArrayList<>();
                for (Future<String> f : outcomes) {
                    String w = f.get(1, TimeUnit.MINUTES);
                    if (w != null) {
                        winners.add(w);
                    }
                }
                assertThat(winners).as("round %d", round).hasSize(1);
                assertThat(dynamo.getItem(r -> r.tableName(t).key(item("pk", s(pk))).consistentRead(true)).item())
                        .containsEntry("owner", s(winners.get(0)));
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
