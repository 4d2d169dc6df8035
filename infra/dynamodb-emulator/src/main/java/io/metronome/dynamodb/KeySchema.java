package io.metronome.dynamodb;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The key of a table or index: a partition (hash) attribute and an optional sort (range) attribute, with types. */
record KeySchema(String hashName, String hashType, String rangeName, String rangeType) {
    static final int MAX_HASH_KEY_BYTES = 2048;
    static final int MAX_RANGE_KEY_BYTES = 1024;

    boolean hasRange() {
        return rangeName != null;
    }

    Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        names.add(hashName);
        if (rangeName != null) {
            names.add(rangeName);
        }
        return names;
    }

    /** The key of an item under this schema, or null when the item lacks an attribute of it (a sparse index). */
    PrimaryKey keyOf(Map<String, Value> item) {
        Value h = item.get(hashName);
        Value r = rangeName == null ? null : item.get(rangeName);
        if (h == null || (rangeName != null && r == null)) {
            return null;
        }
        return new PrimaryKey(h, r);
    }

    /** A key value as the attributes of an item (a Key parameter, or the start of an item an update creates). */
    Map<String, Value> keyItem(PrimaryKey k) {
        Map<String, Value> key = new LinkedHashMap<>();
        key.put(hashName, k.hash());
        if (rangeName != null) {
            key.put(rangeName, k.range());
        }
        return key;
    }

    /** The key attributes of an item, in DynamoDB's key form. */
    Map<String, Value> keyAttributes(Map<String, Value> item) {
        Map<String, Value> key = new LinkedHashMap<>();
        key.put(hashName, item.get(hashName));
        if (rangeName != null) {
            key.put(rangeName, item.get(rangeName));
        }
        return key;
    }

    /**
     * Checks a Key parameter: exactly the schema's attributes, of its types. DynamoDB answers every mismatch with
     * the same message.
     */
    PrimaryKey parseKey(Map<String, Value> key, String mismatch) {
        if (key == null || key.size() != names().size()) {
            throw DynamoDbException.validation(mismatch);
        }
        Value h = key.get(hashName);
        Value r = rangeName == null ? null : key.get(rangeName);
        if (h == null || !h.type().equals(hashType) || (rangeName != null && (r == null || !r.type().equals(rangeType)))) {
            throw DynamoDbException.validation(mismatch);
        }
        checkKeyValue(hashName, h, MAX_HASH_KEY_BYTES);
        if (r != null) {
            checkKeyValue(rangeName, r, MAX_RANGE_KEY_BYTES);
        }
        return new PrimaryKey(h, r);
    }

    /** Refuses empty string or binary values for this schema's attributes (in a key or an item). */
    void checkNoEmptyKeyValues(Map<String, Value> attributes) {
        for (String name : names()) {
            Value v = attributes.get(name);
            if ((v instanceof Value.S || v instanceof Value.B) && v.size() == 0) {
                checkKeyValue(name, v, Integer.MAX_VALUE);
            }
        }
    }

    /** Checks a table key inside a whole item (PutItem, an update's result). */
    PrimaryKey checkItem(Map<String, Value> item) {
        for (String name : names()) {
            Value v = item.get(name);
            String type = name.equals(hashName) ? hashType : rangeType;
            if (v == null) {
                throw DynamoDbException.invalidParameter("Missing the key " + name + " in the item");
            }
            if (!v.type().equals(type)) {
                throw DynamoDbException.invalidParameter("Type mismatch for key " + name + " expected: " + type
                        + " actual: " + v.type());
            }
        }
        checkKeyValue(hashName, item.get(hashName), MAX_HASH_KEY_BYTES);
        if (rangeName != null) {
            checkKeyValue(rangeName, item.get(rangeName), MAX_RANGE_KEY_BYTES);
        }
        return keyOf(item);
    }

    /** Checks an index key inside an item: present attributes must have the index's types and not be empty. */
    void checkIndexAttributes(Map<String, Value> item, String indexName) {
        for (String name : names()) {
            Value v = item.get(name);
            String type = name.equals(hashName) ? hashType : rangeType;
            if (v == null) {
                continue;
            }
            if (!v.type().equals(type)) {
                throw DynamoDbException.invalidParameter("Type mismatch for Index Key " + name + " Expected: " + type
                        + " Actual: " + v.type() + " IndexName: " + indexName);
            }
            if (v.size() == 0) {
                throw DynamoDbException.validation("One or more parameter values are not valid. A value specified for "
                        + "a secondary index key is not supported. The AttributeValue for a key attribute cannot contain "
                        + "an empty " + (v instanceof Value.S ? "string" : "binary") + " value. IndexName: " + indexName
                        + ", IndexKey: " + name);
            }
        }
    }

    private static void checkKeyValue(String name, Value v, int maxBytes) {
        if (v.size() == 0) {
            throw DynamoDbException.validation("One or more parameter values are not valid. The AttributeValue for a key "
                    + "attribute cannot contain an empty " + (v instanceof Value.S ? "string" : "binary") + " value. Key: "
                    + name);
        }
        if (v.size() > maxBytes) {
            throw DynamoDbException.invalidParameter(maxBytes == MAX_HASH_KEY_BYTES
                    ? "Size of hashkey has exceeded the maximum size limit of2048 bytes"
                    : "Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
        }
    }
}
