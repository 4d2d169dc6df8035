package io.metronome.local;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

import java.util.Set;
import java.util.TreeSet;

/** Records which tables a function reads and writes and which queues it sends to, from its SDK requests. */
final class ResourceRecorder implements ExecutionInterceptor {
    final Set<String> reads = new TreeSet<>();
    final Set<String> writes = new TreeSet<>();
    final Set<String> sends = new TreeSet<>();

    @Override
    public synchronized void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        if (r instanceof GetItemRequest g) {
            reads.add(g.tableName());
        } else if (r instanceof QueryRequest q) {
            reads.add(q.tableName());
        } else if (r instanceof ScanRequest s) {
            reads.add(s.tableName());
        } else if (r instanceof BatchGetItemRequest b) {
            reads.addAll(b.requestItems().keySet());
        } else if (r instanceof PutItemRequest p) {
            writes.add(p.tableName());
        } else if (r instanceof UpdateItemRequest u) {
            writes.add(u.tableName());
        } else if (r instanceof DeleteItemRequest d) {
            writes.add(d.tableName());
        } else if (r instanceof BatchWriteItemRequest b) {
            writes.addAll(b.requestItems().keySet());
        } else if (r instanceof TransactWriteItemsRequest t) {
            for (TransactWriteItem i : t.transactItems()) {
                if (i.put() != null) {
                    writes.add(i.put().tableName());
                }
                if (i.update() != null) {
                    writes.add(i.update().tableName());
                }
                if (i.delete() != null) {
                    writes.add(i.delete().tableName());
                }
                if (i.conditionCheck() != null) {
                    reads.add(i.conditionCheck().tableName());
                }
            }
        } else if (r instanceof SendMessageRequest m) {
            sends.add(queueName(m.queueUrl()));
        } else if (r instanceof SendMessageBatchRequest m) {
            sends.add(queueName(m.queueUrl()));
        }
    }

    private static String queueName(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }
}
