package io.metronome.testing;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * Counts the AWS calls the code under test makes (service and operation), and the write capacity units
 * DynamoDB reports for them (it asks each write for its consumed capacity). Can also make one chosen call
 * "crash" right after it succeeded, to simulate a worker dying between two of its writes, or fail before it is
 * made, to simulate a call that never got through (a send lost after the write it follows).
 */
public final class CallCounter implements ExecutionInterceptor {
    private final List<String> calls = new ArrayList<>();
    private double writeUnits;
    private final AtomicReference<Predicate<String>> crashAfter = new AtomicReference<>();
    private final AtomicReference<Predicate<String>> failBefore = new AtomicReference<>();

    /** A call that crashed the worker on purpose. */
    public static final class Crash extends RuntimeException {
        public Crash(String call) {
            super("simulated crash after " + call, null, false, false);
        }
    }

    /** A call that failed on purpose before it was made. */
    public static final class Failure extends RuntimeException {
        public Failure(String call) {
            super("simulated failure of " + call, null, false, false);
        }
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        Predicate<String> fail = failBefore.get();
        if (fail != null && fail.test(call(attributes)) && failBefore.compareAndSet(fail, null)) {
            throw new Failure(call(attributes));
        }
    }

    private static String call(ExecutionAttributes attributes) {
        return attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + "."
                + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        if (r instanceof UpdateItemRequest u) {
            return u.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }
        if (r instanceof PutItemRequest p) {
            return p.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }
        if (r instanceof DeleteItemRequest d) {
            return d.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }
        if (r instanceof TransactWriteItemsRequest t) {
            return t.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }
        if (r instanceof BatchWriteItemRequest b) {
            return b.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }
        return r;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        String call = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + "."
                + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        synchronized (this) {
            calls.add(call);
            writeUnits += units(context.response());
        }
        Predicate<String> crash = crashAfter.get();
        if (crash != null && crash.test(call)) {
            crashAfter.set(null);
            throw new Crash(call);
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        String call = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + "."
                + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (!(context.exception() instanceof Crash)) {
            synchronized (this) {
                calls.add(call + "(refused)");
            }
        }
    }

    private static double units(SdkResponse response) {
        if (response instanceof UpdateItemResponse u) {
            return wcu(u.consumedCapacity());
        }
        if (response instanceof PutItemResponse p) {
            return wcu(p.consumedCapacity());
        }
        if (response instanceof DeleteItemResponse d) {
            return wcu(d.consumedCapacity());
        }
        if (response instanceof TransactWriteItemsResponse t && t.consumedCapacity() != null) {
            return t.consumedCapacity().stream().mapToDouble(CallCounter::wcu).sum();
        }
        if (response instanceof BatchWriteItemResponse b && b.consumedCapacity() != null) {
            return b.consumedCapacity().stream().mapToDouble(CallCounter::wcu).sum();
        }
        return 0;
    }

    private static double wcu(ConsumedCapacity c) {
        if (c == null) {
            return 0;
        }
        return c.writeCapacityUnits() != null ? c.writeCapacityUnits() : c.capacityUnits() != null ? c.capacityUnits() : 0;
    }

    /** The next call for which the predicate holds (e.g. {@code "DynamoDB.UpdateItem"::equals}) crashes after it succeeds. */
    public void crashAfterNext(Predicate<String> which) {
        crashAfter.set(which);
    }

    /** The next call for which the predicate holds (e.g. {@code "Sqs.SendMessage"::equals}) fails before it is made. */
    public void failNext(Predicate<String> which) {
        failBefore.set(which);
    }

    public synchronized void reset() {
        calls.clear();
        writeUnits = 0;
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    public synchronized double writeUnits() {
        return writeUnits;
    }

    public synchronized Map<String, Integer> byOperation() {
        Map<String, Integer> m = new TreeMap<>();
        calls.forEach(c -> m.merge(c, 1, Integer::sum));
        return m;
    }
}
