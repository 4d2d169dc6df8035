package io.metronome.worker;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.models.dynamodb.StreamRecord;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream record's image, from the Lambda events library's attribute model to the SDK's, which the store reads.
 * Every DynamoDB type is carried; a value that holds none is refused, so a record the model misread fails
 * (and comes again) rather than turning into a run with missing parts. The other way ({@link #toLambda}) is
 * what Lambda's event source mapping does with what the streams API returns: the local stack's stream poller
 * uses it.
 */
public final class StreamImages {
    private StreamImages() {
    }

    /** null for null (an INSERT's old image, a REMOVE's new one). */
    public static Map<String, AttributeValue> toSdk(
            Map<String, com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue> image) {
        if (image == null) {
            return null;
        }
        Map<String, AttributeValue> out = new LinkedHashMap<>();
        image.forEach((name, value) -> out.put(name, toSdk(name, value)));
        return out;
    }

    static AttributeValue toSdk(String name, com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue v) {
        if (v == null) {
            throw new IllegalArgumentException("attribute " + name + " has no value");
        }
        if (v.getS() != null) {
            return AttributeValue.fromS(v.getS());
        }
        if (v.getN() != null) {
            return AttributeValue.fromN(v.getN());
        }
        if (v.getB() != null) {
            return AttributeValue.fromB(bytes(v.getB()));
        }
        if (v.getSS() != null) {
            return AttributeValue.fromSs(List.copyOf(v.getSS()));
        }
        if (v.getNS() != null) {
            return AttributeValue.fromNs(List.copyOf(v.getNS()));
        }
        if (v.getBS() != null) {
            return AttributeValue.fromBs(v.getBS().stream().map(StreamImages::bytes).toList());
        }
        if (v.getM() != null) {
            Map<String, AttributeValue> m = new LinkedHashMap<>();
            v.getM().forEach((k, e) -> m.put(k, toSdk(name + "." + k, e)));
            return AttributeValue.fromM(m);
        }
        if (v.getL() != null) {
            List<com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue> l = v.getL();
            AttributeValue[] out = new AttributeValue[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = toSdk(name + "[" + i + "]", l.get(i));
            }
            return AttributeValue.fromL(List.of(out));
        }
        if (v.getBOOL() != null) {
            return AttributeValue.fromBool(v.getBOOL());
        }
        if (Boolean.TRUE.equals(v.getNULL())) {
            return AttributeValue.fromNul(true);
        }
        throw new IllegalArgumentException("attribute " + name + " holds no DynamoDB type");
    }

    /** The buffer's bytes from its position, leaving the buffer as it was. */
    private static SdkBytes bytes(ByteBuffer b) {
        return SdkBytes.fromByteBuffer(b.duplicate());
    }

    /** A record as the streams API returns it, as Lambda hands it to the function. */
    public static DynamodbEvent.DynamodbStreamRecord toLambda(software.amazon.awssdk.services.dynamodb.model.Record r,
                                                              String streamArn) {
        DynamodbEvent.DynamodbStreamRecord out = new DynamodbEvent.DynamodbStreamRecord();
        out.setEventID(r.eventID());
        out.setEventName(r.eventNameAsString());
        out.setEventVersion(r.eventVersion());
        out.setEventSource(r.eventSource());
        out.setAwsRegion(r.awsRegion());
        out.setEventSourceARN(streamArn);
        var d = r.dynamodb();
        StreamRecord sr = new StreamRecord();
        sr.setSequenceNumber(d.sequenceNumber());
        sr.setSizeBytes(d.sizeBytes());
        sr.setStreamViewType(com.amazonaws.services.lambda.runtime.events.models.dynamodb.StreamViewType
                .fromValue(d.streamViewTypeAsString()));
        if (d.approximateCreationDateTime() != null) {
            sr.setApproximateCreationDateTime(java.util.Date.from(d.approximateCreationDateTime()));
        }
        sr.setKeys(d.hasKeys() ? toLambda(d.keys()) : null);
        sr.setNewImage(d.hasNewImage() ? toLambda(d.newImage()) : null);
        sr.setOldImage(d.hasOldImage() ? toLambda(d.oldImage()) : null);
        out.setDynamodb(sr);
        return out;
    }

    public static Map<String, com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue> toLambda(
            Map<String, AttributeValue> image) {
        Map<String, com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue> out = new LinkedHashMap<>();
        image.forEach((name, value) -> out.put(name, toLambda(value)));
        return out;
    }

    static com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue toLambda(AttributeValue v) {
        var out = new com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue();
        switch (v.type()) {
            case S -> out.setS(v.s());
            case N -> out.setN(v.n());
            case B -> out.setB(v.b().asByteBuffer());
            case SS -> out.setSS(v.ss());
            case NS -> out.setNS(v.ns());
            case BS -> out.setBS(v.bs().stream().map(SdkBytes::asByteBuffer).toList());
            case M -> out.setM(toLambda(v.m()));
            case L -> out.setL(v.l().stream().map(StreamImages::toLambda).toList());
            case BOOL -> out.setBOOL(v.bool());
            case NUL -> out.setNULL(true);
            default -> throw new IllegalArgumentException("an attribute value of no DynamoDB type: " + v);
        }
        return out;
    }
}
