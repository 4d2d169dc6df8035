package io.metronome.testing;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Records every version of the run items a client writes, as a DynamoDB stream would deliver them: each write to
 * the runs table that succeeds is followed, before any other write to it through this client, by a consistent
 * read of the item it wrote. Writes to the runs table through this client are made one at a time for that (a
 * lock from before the call until the read after it), so the read is exactly the version the write left, however
 * many workers share the client. Versions are kept by revision; a write that keeps the revision (the sweeper's)
 * adds none.
 */
public final class RunItemVersions implements ExecutionInterceptor {
    private static final ExecutionAttribute<List<String>> WRITES = new ExecutionAttribute<>("metronome.runItemWrites");
    private final ReentrantLock oneWriteAtATime = new ReentrantLock(true);
    private final DynamoDbClient reader;
    private final String runsTable;
    private final Map<String, TreeMap<Long, Map<String, AttributeValue>>> byRun = new ConcurrentHashMap<>();

    /** @param reader a client that does not report here (the read-backs are not the code's) */
    public RunItemVersions(DynamoDbClient reader, String runsTable) {
        this.reader = reader;
        this.runsTable = runsTable;
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        List<String> runIds = runItemsWritten(context.request());
        if (!runIds.isEmpty()) {
            oneWriteAtATime.lock();
            attributes.putAttribute(WRITES, runIds);
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        List<String> runIds = attributes.getAttribute(WRITES);
        if (runIds == null) {
            return;
        }
        try {
            for (String runId : runIds) {
                Map<String, AttributeValue> item = reader.getItem(r -> r.tableName(runsTable)
                        .key(Map.of("runId", AttributeValue.fromS(runId))).consistentRead(true)).item();
                if (item != null && !item.isEmpty()) {
                    long rev = Long.parseLong(item.get("rev").n());
                    byRun.computeIfAbsent(runId, k -> new TreeMap<>()).putIfAbsent(rev, item);
                }
            }
        } finally {
            attributes.putAttribute(WRITES, null);
            oneWriteAtATime.unlock();
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        if (attributes.getAttribute(WRITES) != null && oneWriteAtATime.isHeldByCurrentThread()) {
            attributes.putAttribute(WRITES, null);
            oneWriteAtATime.unlock(); // refused: no new version
        }
    }

    /** The versions of a run item seen, oldest first, with their revisions. */
    public TreeMap<Long, Map<String, AttributeValue>> versions(String runId) {
        return new TreeMap<>(byRun.getOrDefault(runId, new TreeMap<>()));
    }

    private List<String> runItemsWritten(SdkRequest request) {
        List<String> ids = new ArrayList<>();
        if (request instanceof UpdateItemRequest u && runsTable.equals(u.tableName())) {
            ids.add(u.key().get("runId").s());
        } else if (request instanceof PutItemRequest p && runsTable.equals(p.tableName())) {
            ids.add(p.item().get("runId").s());
        } else if (request instanceof DeleteItemRequest d && runsTable.equals(d.tableName())) {
            ids.add(d.key().get("runId").s());
        } else if (request instanceof TransactWriteItemsRequest t) {
            for (TransactWriteItem i : t.transactItems()) {
                if (i.update() != null && runsTable.equals(i.update().tableName())) {
                    ids.add(i.update().key().get("runId").s());
                } else if (i.put() != null && runsTable.equals(i.put().tableName())) {
                    ids.add(i.put().item().get("runId").s());
                } else if (i.delete() != null && runsTable.equals(i.delete().tableName())) {
                    ids.add(i.delete().key().get("runId").s());
                }
            }
        }
        return ids;
    }
}
