package io.metronome.local;

import io.metronome.store.Tables;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TypeInsnNode;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a function's code can touch, read from its bytecode: every method reachable from its handler (a rapid type
 * analysis: a virtual call reaches the overrides of classes the reachable code instantiates, a lambda reaches its
 * body), and in those methods every table name taken from {@link Tables} (a read, or a write when the next DynamoDB
 * call it flows into builds a write) and every call on an SDK client. A code path no sample event or test takes
 * still counts: that is the point, since a grant missing on such a path fails only on AWS.
 *
 * <p>Written here because the libraries that build call graphs (Soot, WALA) are far larger than this one question.
 */
final class CodeAccess {
    /** Tables by the environment variable that names them; queues by their environment variable too. */
    record Access(Set<String> reads, Set<String> writes, Set<String> sends, Set<String> calls, Map<String, String> paths,
                  Map<String, Set<String>> operations) {
        /** How the code reaches a table variable, queue or call: the chain of methods, for a failing assertion. */
        String path(String fact) {
            return paths.getOrDefault(fact, "?");
        }
    }

    private static final String OURS = "io/metronome/";
    private static final String DYNAMODB = "software/amazon/awssdk/services/dynamodb/";
    private static final String TABLES = Type.internal(Tables.class);
    /** The IAM action each request type (or transaction item, or client method) a table name goes into needs. */
    private static final Map<String, String> OPERATIONS = Map.ofEntries(
            Map.entry("GetItemRequest", "GetItem"), Map.entry("Get", "GetItem"), Map.entry("getItem", "GetItem"),
            Map.entry("QueryRequest", "Query"), Map.entry("query", "Query"), Map.entry("queryPaginator", "Query"),
            Map.entry("ScanRequest", "Scan"), Map.entry("scan", "Scan"), Map.entry("scanPaginator", "Scan"),
            Map.entry("BatchGetItemRequest", "BatchGetItem"), Map.entry("KeysAndAttributes", "BatchGetItem"),
            Map.entry("batchGetItem", "BatchGetItem"),
            Map.entry("PutItemRequest", "PutItem"), Map.entry("Put", "PutItem"), Map.entry("putItem", "PutItem"),
            Map.entry("UpdateItemRequest", "UpdateItem"), Map.entry("Update", "UpdateItem"),
            Map.entry("updateItem", "UpdateItem"),
            Map.entry("DeleteItemRequest", "DeleteItem"), Map.entry("Delete", "DeleteItem"),
            Map.entry("deleteItem", "DeleteItem"),
            Map.entry("ConditionCheck", "ConditionCheckItem"),
            Map.entry("BatchWriteItemRequest", "BatchWriteItem"), Map.entry("WriteRequest", "BatchWriteItem"),
            Map.entry("PutRequest", "BatchWriteItem"), Map.entry("DeleteRequest", "BatchWriteItem"),
            Map.entry("batchWriteItem", "BatchWriteItem"));
    /** The operations that change a table. */
    private static final Set<String> WRITES = Set.of("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem");
    /** The queue each class sending with an SqsClient sends to, by the environment variable naming it. */
    private static final Map<String, String> SENDERS = Map.of(
            "io/metronome/engine/Dispatcher", "NODE_QUEUE_URL",
            "io/metronome/engine/BulkJobs", "BULK_QUEUE_URL",
            // sqs nodes send to the user's queues: granted by a name prefix, outside the stack
            "io/metronome/engine/nodes/SqsNode", "sqs-node-queues");

    private final Map<String, ClassNode> classes = new HashMap<>();
    private final Set<String> instantiated = new HashSet<>();
    /** Virtual call sites seen so far, as owner.name+desc: a class instantiated later adds its overrides. */
    private final Set<String> virtualSites = new HashSet<>();
    private final Set<String> reached = new HashSet<>();
    /** Each reached method, by the method that reached it first. */
    private final Map<String, String> reachedFrom = new HashMap<>();
    private final Map<String, String> factIn = new HashMap<>();
    private String current = "the Lambda runtime";
    private final Deque<String[]> work = new ArrayDeque<>();
    private final Map<String, String> tableVariables = tableVariables();

    private final Set<String> reads = new TreeSet<>();
    private final Set<String> writes = new TreeSet<>();
    private final Set<String> sends = new TreeSet<>();
    private final Set<String> calls = new TreeSet<>();
    /** The DynamoDB operations (IAM's names: GetItem, Query, ...) on each table. */
    private final Map<String, Set<String>> operations = new HashMap<>();

    static Access of(Class<?> handler) {
        CodeAccess a = new CodeAccess();
        a.instantiate(Type.internal(handler));
        a.reach(Type.internal(handler), "<init>", "()V");
        a.run();
        Map<String, String> paths = new HashMap<>();
        a.factIn.forEach((fact, method) -> {
            StringBuilder chain = new StringBuilder(method);
            for (String m = a.reachedFrom.get(method); m != null; m = a.reachedFrom.get(m)) {
                chain.insert(0, m + " -> ");
            }
            paths.put(fact, chain.toString());
        });
        return new Access(a.reads, a.writes, a.sends, a.calls, paths, a.operations);
    }

    private void run() {
        while (!work.isEmpty()) {
            String[] m = work.pop();
            ClassNode c = load(m[0]);
            for (MethodNode method : c.methods) {
                if (method.name.equals(m[1]) && method.desc.equals(m[2]) && method.instructions != null) {
                    scan(c, method);
                }
            }
        }
    }

    private void scan(ClassNode c, MethodNode method) {
        current = c.name + "." + method.name;
        AbstractInsnNode[] insns = method.instructions.toArray();
        for (int i = 0; i < insns.length; i++) {
            AbstractInsnNode insn = insns[i];
            if (insn instanceof MethodInsnNode call) {
                if (call.owner.equals(TABLES) && tableVariables.containsKey(call.name)) {
                    String operation = operation(insns, i);
                    if (operation != null) {
                        (WRITES.contains(operation) ? writes : reads).add(tableVariables.get(call.name));
                        operations.computeIfAbsent(tableVariables.get(call.name), t -> new TreeSet<>()).add(operation);
                    }
                    factIn.putIfAbsent(tableVariables.get(call.name), current);
                } else if (call.owner.startsWith(OURS)) {
                    touch(call.owner);
                    if (call.getOpcode() == Opcodes.INVOKESTATIC || call.getOpcode() == Opcodes.INVOKESPECIAL) {
                        reachDeclared(call.owner, call.name, call.desc);
                    } else {
                        virtual(call.owner, call.name, call.desc);
                    }
                } else if (call.owner.startsWith("java/util/function/") && call.getOpcode() == Opcodes.INVOKEINTERFACE) {
                    virtual(call.owner, call.name, call.desc);
                } else if (call.owner.startsWith("software/amazon/awssdk/services/") && call.owner.endsWith("Client")
                        && call.getOpcode() == Opcodes.INVOKEINTERFACE) { // an operation, not the static builder()
                    client(c.name, call);
                }
            } else if (insn instanceof TypeInsnNode t && t.getOpcode() == Opcodes.NEW && t.desc.startsWith(OURS)) {
                instantiate(t.desc);
            } else if (insn instanceof FieldInsnNode f && f.owner.startsWith(OURS)) {
                touch(f.owner);
            } else if (insn instanceof InvokeDynamicInsnNode indy) {
                for (Object arg : indy.bsmArgs) {
                    if (arg instanceof Handle h && h.getOwner().startsWith(OURS)) {
                        touch(h.getOwner());
                        if (h.getTag() == Opcodes.H_INVOKEVIRTUAL || h.getTag() == Opcodes.H_INVOKEINTERFACE) {
                            virtual(h.getOwner(), h.getName(), h.getDesc());
                        } else {
                            reachDeclared(h.getOwner(), h.getName(), h.getDesc());
                        }
                    }
                }
            }
        }
    }

    private void client(String caller, MethodInsnNode call) {
        String service = call.owner.substring("software/amazon/awssdk/services/".length(), call.owner.indexOf('/',
                "software/amazon/awssdk/services/".length()));
        if (service.equals("dynamodb") || call.name.equals("close") || call.name.equals("serviceName")) {
            return; // tables are counted by name, where they are named
        }
        if (service.equals("sqs") && call.name.startsWith("sendMessage")) {
            String queue = SENDERS.get(caller);
            if (queue == null) {
                throw new AssertionError(caller + " sends to a queue CodeAccess does not know: add it to SENDERS");
            }
            sends.add(queue);
            factIn.putIfAbsent(queue, current);
        } else {
            calls.add(service + ":" + call.name);
            factIn.putIfAbsent(service + ":" + call.name, current);
        }
    }

    /**
     * The operation the table name at {@code at} goes into, as IAM names it: the next DynamoDB call after it says
     * (a request's builder, a transaction's item, or the client's method); null for a name looked up in a response.
     */
    private static String operation(AbstractInsnNode[] insns, int at) {
        for (int j = at + 1; j < insns.length; j++) {
            if (insns[j] instanceof MethodInsnNode next && next.owner.startsWith(DYNAMODB)) {
                String type = next.owner.substring(next.owner.lastIndexOf('/') + 1);
                type = type.contains("$") ? type.substring(0, type.indexOf('$')) : type;
                if (type.endsWith("Response")) {
                    return null; // a name looked up in an answer (a batch read's responses): no call of its own
                }
                String operation = type.endsWith("Client") ? OPERATIONS.get(next.name) : OPERATIONS.get(type);
                if (operation == null) {
                    throw new AssertionError("a table name goes into " + next.owner + "." + next.name
                            + ", which CodeAccess does not know the operation of: add it to OPERATIONS");
                }
                return operation;
            }
        }
        throw new AssertionError("a table name goes into no DynamoDB call in the same method");
    }

    private void virtual(String owner, String name, String desc) {
        if (virtualSites.add(owner + "." + name + desc)) {
            for (String k : Set.copyOf(instantiated)) {
                if (isSubtype(k, owner)) {
                    reachVirtual(k, name, desc);
                }
            }
        }
    }

    private void instantiate(String type) {
        if (!instantiated.add(type)) {
            return;
        }
        touch(type);
        for (String site : Set.copyOf(virtualSites)) {
            int dot = site.indexOf('.');
            int paren = site.indexOf('(');
            if (isSubtype(type, site.substring(0, dot))) {
                reachVirtual(type, site.substring(dot + 1, paren), site.substring(paren));
            }
        }
        // Code outside ours (the runtime, the JDK) may call what the class implements of its types. A
        // java.util.function type is the exception: its method counts once our reachable code calls it (a Supplier
        // built at start-up and read only on some other function's path costs that function nothing).
        for (String outside : outsideSupertypes(type)) {
            ClassNode o = load(outside);
            if (o != null) {
                o.methods.forEach(m -> {
                    if (!outside.startsWith("java/util/function/") || virtualSites.contains(outside + "." + m.name + m.desc)) {
                        reachVirtual(type, m.name, m.desc);
                    }
                });
            }
        }
    }

    /** A class's static initialiser runs when it is first used. */
    private void touch(String type) {
        reach(type, "<clinit>", "()V");
    }

    /** The method a virtual call on an instance of {@code type} runs: its own, or the nearest inherited one. */
    private void reachVirtual(String type, String name, String desc) {
        for (String t : linearisation(type)) {
            ClassNode c = load(t);
            if (c != null && declares(c, name, desc)) {
                reach(t, name, desc);
                return;
            }
        }
    }

    private void reachDeclared(String owner, String name, String desc) {
        reachVirtual(owner, name, desc);
    }

    private void reach(String owner, String name, String desc) {
        if (owner.startsWith(OURS) && load(owner) != null && reached.add(owner + "." + name + desc)) {
            reachedFrom.putIfAbsent(owner + "." + name, current);
            work.push(new String[]{owner, name, desc});
        }
    }

    private static boolean declares(ClassNode c, String name, String desc) {
        return c.methods.stream().anyMatch(m -> m.name.equals(name) && m.desc.equals(desc)
                && (m.access & Opcodes.ACC_ABSTRACT) == 0);
    }

    /** The class, its superclasses, then their interfaces: where an inherited method is found. */
    private List<String> linearisation(String type) {
        Set<String> out = new LinkedHashSet<>();
        for (String t = type; t != null; ) {
            out.add(t);
            ClassNode c = load(t);
            t = c == null ? null : c.superName;
        }
        Deque<String> interfaces = new ArrayDeque<>();
        for (String t : List.copyOf(out)) {
            ClassNode c = load(t);
            if (c != null) {
                interfaces.addAll(c.interfaces);
            }
        }
        while (!interfaces.isEmpty()) {
            String i = interfaces.pop();
            if (out.add(i)) {
                ClassNode c = load(i);
                if (c != null) {
                    interfaces.addAll(c.interfaces);
                }
            }
        }
        return List.copyOf(out);
    }

    private boolean isSubtype(String type, String of) {
        return linearisation(type).contains(of);
    }

    private Set<String> outsideSupertypes(String type) {
        Set<String> out = new TreeSet<>();
        for (String t : linearisation(type)) {
            if (!t.startsWith(OURS) && !t.equals("java/lang/Object") && !t.equals("java/lang/Record")
                    && !t.equals("java/lang/Enum")) {
                out.add(t);
            }
        }
        return out;
    }

    private ClassNode load(String type) {
        return classes.computeIfAbsent(type, t -> {
            try (InputStream in = CodeAccess.class.getClassLoader().getResourceAsStream(t + ".class")) {
                if (in == null) {
                    return null;
                }
                ClassNode node = new ClassNode();
                new ClassReader(in).accept(node, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
                return node;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Each accessor of {@link Tables}, by the environment variable it is read from. */
    private static Map<String, String> tableVariables() {
        Tables named = Tables.fromEnvironment(variable -> variable);
        Map<String, String> out = new HashMap<>();
        for (RecordComponent c : Tables.class.getRecordComponents()) {
            try {
                out.put(c.getName(), (String) c.getAccessor().invoke(named));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    private static final class Type {
        static String internal(Class<?> c) {
            return c.getName().replace('.', '/');
        }
    }
}
