package io.metronome.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2CustomAuthorizerEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.SimpleIAMPolicyResponse;
import io.metronome.egress.EgressPolicy;
import io.metronome.emulators.LocalEmulators;
import io.metronome.engine.Engine;
import io.metronome.engine.EngineSettings;
import io.metronome.engine.Recovery;
import io.metronome.engine.StatusNotifier;
import io.metronome.engine.nodes.NodeExecutors;
import io.metronome.store.ApiKeyRepository;
import io.metronome.store.Tables;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole system in one process: the DynamoDB emulator and ElasticMQ, the tables, queues, functions, routes and
 * authorizer that {@code template.yaml} declares, the worker fed by its queue, and the HTTP API on 127.0.0.1.
 * Each request and each message goes through the same handler classes Lambda runs.
 */
public final class LocalStack implements AutoCloseable {
    public static final String DEMO_USER = "demo";

    public record Options(int port, Path dataDir, List<String[]> apiKeys, Path template, int dynamoPort, int sqsPort,
                          boolean samples) {
        public Options(int port, Path dataDir, List<String[]> apiKeys, Path template) {
            this(port, dataDir, apiKeys, template, 0, 0, false);
        }
    }

    private final LocalEmulators emulators;
    private final HttpGateway gateway;
    private final List<QueuePoller> pollers;
    private final List<StreamPoller> streamPollers = new ArrayList<>();
    private final Engine engine;
    private final int port;
    private final String demoKey;
    private final Map<String, String> environment;
    private final java.util.concurrent.ScheduledExecutorService ticks;
    private final Map<String, String> tables;
    private final Map<String, String> queues;
    private volatile Path endpointsFile;
    private LocalLogs logs;

    private LocalStack(LocalEmulators emulators, HttpGateway gateway, List<QueuePoller> pollers, Engine engine, int port,
                       String demoKey, Map<String, String> environment,
                       java.util.concurrent.ScheduledExecutorService ticks, Map<String, String> tables,
                       Map<String, String> queues) {
        this.environment = environment;
        this.tables = tables;
        this.queues = queues;
        this.ticks = ticks;
        this.emulators = emulators;
        this.gateway = gateway;
        this.pollers = pollers;
        this.engine = engine;
        this.port = port;
        this.demoKey = demoKey;
    }

    public static LocalStack start(Options o) throws IOException {
        SamTemplate template = SamTemplate.load(o.template());
        LocalLogs logs = LocalLogs.open(o.dataDir(), System.err);
        LocalEmulators emulators = LocalEmulators.start(o.dataDir() == null ? null : o.dataDir().resolve("dynamodb"),
                o.dynamoPort(), o.sqsPort());
        try {
            DynamoDbClient dynamo = LocalClients.dynamo(emulators.dynamoEndpoint(), LocalClients.plain());
            SqsClient sqs = LocalClients.sqs(emulators.sqsEndpoint(), LocalClients.plain());
            Map<String, String> tables = LocalResources.createTables(template, dynamo);
            Map<String, String> queues = LocalResources.createQueues(template, sqs);
            Map<String, String> env = LocalResources.environment(template, tables, queues);
            // Nodes may call services on this machine, but never the stack itself: its emulators, the AWS endpoints
            // it is configured with, and its API (whose port is added once bound, before any node runs).
            Set<Integer> stackPorts = ConcurrentHashMap.newKeySet();
            stackPorts.add(emulators.dynamoEndpoint().getPort());
            stackPorts.add(emulators.sqsEndpoint().getPort());
            env.forEach((name, value) -> {
                if (name.startsWith("AWS_ENDPOINT_URL") && onThisMachine(java.net.URI.create(value))) {
                    stackPorts.add(port(java.net.URI.create(value)));
                }
            });
            if (o.port() != 0) {
                stackPorts.add(o.port());
            }
            EgressPolicy egress = EgressPolicy.local(env.get("EGRESS_ALLOW_LIST"), stackPorts);
            Engine engine = new Engine(dynamo, sqs, Tables.fromEnvironment(env::get), env.get("NODE_QUEUE_URL"),
                    env.get("BULK_QUEUE_URL"), EngineSettings.fromEnvironment(env::get), NodeExecutors.standard(env::get, egress, sqs,
                    () -> LocalClients.sfn(java.net.URI.create(env.get("AWS_ENDPOINT_URL_SFN")), LocalClients.plain())), Clock.systemUTC(),
                    StatusNotifier.logging());

            String demoKey = registerKeys(engine.apiKeys, o);
            new Recovery(engine.runs, engine.dispatcher).redispatchUnfinished();
            if (env.get("BULK_QUEUE_URL") != null) {
                engine.bulkJobs.resendRunning(); // the bulk queue, too, did not outlive the last process
            }
            if (o.samples()) {
                Samples.seed(engine); // after recovery, which would send the samples that are meant to wait
            }

            // EventBridge schedules, locally: each scheduled function's handler is called at its rate.
            var ticks = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "schedule-ticks");
                t.setDaemon(true);
                return t;
            });
            template.scheduledFunctions().forEach((id, period) -> {
                RequestHandler<Map<String, Object>, Object> handler = instantiate(template.handler(id), engine);
                java.time.Duration timeout = java.time.Duration.ofSeconds(
                        template.functionNumber(id, "Timeout", SamTemplate.DEFAULT_TIMEOUT_SECONDS));
                int memory = template.functionNumber(id, "MemorySize", SamTemplate.DEFAULT_MEMORY_MB);
                ticks.scheduleAtFixedRate(() -> {
                    try {
                        // With the function's own timeout: the sweeper, for one, stops taking pages by its time left.
                        LocalContext.invoke(new LocalContext(id, timeout, memory), io.metronome.observe.Trace.newHeader(),
                                c -> handler.handleRequest(Map.of("source", "aws.events", "detail-type", "Scheduled Event"), c));
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(LocalStack.class).warn("{} failed", id, e);
                    }
                }, period.toMillis(), period.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            });

            String authorizerId = template.defaultAuthorizerFunction();
            HttpGateway gateway = new HttpGateway(authorizerId == null ? null
                    : LocalStack.<RequestHandler<APIGatewayV2CustomAuthorizerEvent, SimpleIAMPolicyResponse>>instantiate(
                    template.handler(authorizerId), engine));
            List<SamTemplate.Route> routes = new ArrayList<>(template.routes());
            template.defaultRoute().ifPresent(routes::add);
            for (SamTemplate.Route route : routes) {
                gateway.route(route, LocalStack.<RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse>>instantiate(
                        route.handler(), engine));
            }
            int bound;
            try {
                bound = gateway.start(o.port());
            } catch (BindException e) {
                ticks.shutdownNow();
                throw new IOException("port " + o.port() + " on 127.0.0.1 is in use; choose another with --port", e);
            }
            stackPorts.add(bound);

            // The workers start last: by now every port of the stack is known to the egress policy.
            List<QueuePoller> pollers = new ArrayList<>();
            for (SamTemplate.QueueSource source : template.queueSources()) {
                String url = queues.get(source.queueId());
                String arn = sqs.getQueueAttributes(r -> r.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                        .attributes().get(QueueAttributeName.QUEUE_ARN);
                QueuePoller poller = new QueuePoller(sqs, url, arn, source,
                        LocalStack.<RequestHandler<SQSEvent, SQSBatchResponse>>instantiate(source.handler(), engine));
                poller.start();
                pollers.add(poller);
            }

            LocalStack stack = new LocalStack(emulators, gateway, pollers, engine, bound, demoKey, env, ticks, tables, queues);
            // Tables' streams, as Lambda's DynamoDB event source mappings read them (the run events).
            var streams = LocalClients.streams(emulators.dynamoEndpoint());
            for (SamTemplate.StreamSource source : template.streamSources()) {
                StreamPoller poller = new StreamPoller(streams, tables.get(source.tableId()), source,
                        LocalStack.<RequestHandler<com.amazonaws.services.lambda.runtime.events.DynamodbEvent,
                                com.amazonaws.services.lambda.runtime.events.StreamsEventResponse>>instantiate(
                                source.handler(), engine), o.dataDir());
                poller.start();
                stack.streamPollers.add(poller);
            }
            stack.logs = logs;
            return stack;
        } catch (IOException | RuntimeException e) {
            logs.close();
            emulators.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String demoKey() {
        return demoKey;
    }

    public Engine engine() {
        return engine;
    }

    /** The functions' environment, as the template declares it, resolved to the local tables and queues. */
    public Map<String, String> environment() {
        return environment;
    }

    public LocalEmulators emulators() {
        return emulators;
    }

    /** The event source mapping that feeds a function from its queue. */
    QueuePoller poller(String functionId) {
        return pollers.stream().filter(p -> p.functionId().equals(functionId)).findFirst().orElseThrow();
    }

    /** The event source mapping that feeds a function from a table's stream. */
    StreamPoller streamPoller(String functionId) {
        return streamPollers.stream().filter(p -> p.functionId().equals(functionId)).findFirst().orElseThrow();
    }

    /**
     * Writes where this stack's endpoints, tables and queues are ({@link EndpointsFile}), for {@code ./metronome
     * --local}; {@link #close} removes the file.
     */
    public void writeEndpoints(Path file) throws IOException {
        EndpointsFile.write(file, port, emulators.dynamoEndpoint(), emulators.sqsEndpoint(), tables, queues);
        endpointsFile = file;
    }

    @Override
    public void close() {
        if (endpointsFile != null) {
            EndpointsFile.remove(endpointsFile);
        }
        ticks.shutdownNow();
        gateway.stop();
        pollers.forEach(QueuePoller::stop);
        streamPollers.forEach(StreamPoller::stop);
        emulators.close();
        logs.close();
    }

    /**
     * Registers the keys given; with none, a key for the user {@value #DEMO_USER} (kept in the data directory,
     * so a restart prints the same one). Returns the demo key, or null.
     */
    private static String registerKeys(ApiKeyRepository keys, Options o) throws IOException {
        Instant now = Instant.now();
        for (String[] userAndKey : o.apiKeys()) {
            keys.put(userAndKey[1], userAndKey[0], now);
        }
        if (!o.apiKeys().isEmpty()) {
            return null;
        }
        Path saved = o.dataDir() == null ? null : o.dataDir().resolve("demo-api-key");
        String key;
        if (saved != null && Files.exists(saved)) {
            key = Files.readString(saved).trim();
        } else {
            key = ApiKeyRepository.newKey();
            if (saved != null) {
                Files.writeString(saved, key + "\n");
            }
        }
        keys.put(key, DEMO_USER, now);
        return key;
    }

    /** A handler class from the template, built with the one dependency its constructor asks for. */
    @SuppressWarnings("unchecked")
    static <T> T instantiate(String handler, Engine engine) {
        String className = handler.contains("::") ? handler.substring(0, handler.indexOf("::")) : handler;
        try {
            for (Constructor<?> c : Class.forName(className).getConstructors()) {
                if (c.getParameterCount() == 1) {
                    Class<?> type = c.getParameterTypes()[0];
                    Object dependency = type == Engine.class ? engine : type == io.metronome.engine.Worker.class
                            ? engine.worker : type == ApiKeyRepository.class ? engine.apiKeys : null;
                    if (dependency != null) {
                        return (T) c.newInstance(dependency);
                    }
                }
            }
            throw new IllegalStateException(className + " has no constructor taking an Engine, Worker or ApiKeyRepository");
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build handler " + handler + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------ command line

    private static final String USAGE = """
            Usage: ./run-local [--port N] [--in-memory | --data-dir DIR] [--api-key USER:KEY]...

              --port N            port on 127.0.0.1 for the API (default 3000)
              --in-memory         keep nothing after exit
              --data-dir DIR      where metronomes and runs are kept (default .metronome/)
              --api-key USER:KEY  accept KEY for USER (repeatable); with none, a key for user 'demo' is made
              --dynamodb-port N   port for the DynamoDB emulator (default: any free one)
              --sqs-port N        port for the SQS endpoint, ElasticMQ (default: any free one)
              --samples           add the sample metronome and runs that the files in events/ refer to
            """;

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("run-local: " + e.getMessage() + "\n\n" + USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.print(USAGE);
            return;
        }
        LocalStack stack;
        try {
            stack = start(options);
        } catch (IOException | RuntimeException e) {
            System.err.println("run-local: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nStopping Metronome local API...");
            stack.close();
        }, "run-local-stop"));
        // For ./metronome --local: in the data directory, or in .metronome/ here when nothing else is kept.
        Path endpoints = (options.dataDir() == null ? Path.of(".metronome") : options.dataDir()).resolve(EndpointsFile.NAME);
        boolean published = true;
        try {
            stack.writeEndpoints(endpoints);
        } catch (IOException e) {
            published = false;
            System.err.println("run-local: cannot write " + endpoints + " (./metronome --local will not find this stack): " + e);
        }
        System.out.println();
        System.out.println("Data: " + (options.dataDir() == null ? "in memory (gone on exit)" : options.dataDir().toAbsolutePath()));
        System.out.println("Function logs and metrics: " + (options.dataDir() == null ? "warnings and errors below only"
                : options.dataDir().resolve(LocalLogs.FILE).toAbsolutePath() + " (warnings and errors below too)"));
        if (stack.demoKey() != null) {
            System.out.println("API key for user '" + DEMO_USER + "': " + stack.demoKey());
        } else {
            options.apiKeys().forEach(k -> System.out.println("API key registered for user '" + k[0] + "'"));
        }
        System.out.println("DynamoDB (emulator) on " + stack.emulators().dynamoEndpoint() + ", SQS (ElasticMQ) on "
                + stack.emulators().sqsEndpoint());
        if (published) {
            boolean defaultDir = options.dataDir() == null || options.dataDir().equals(Path.of(".metronome"));
            System.out.println("Endpoints for ./metronome --local" + (defaultDir ? "" : " --data-dir " + options.dataDir())
                    + ": " + endpoints);
        }
        if (options.samples()) {
            System.out.println("Sample data for events/ added (user 'demo', key '" + Samples.API_KEY + "')");
        }
        System.out.println("Metronome local API on http://127.0.0.1:" + stack.port());
        System.out.println("Metronome console on http://127.0.0.1:" + stack.port() + "/console (sign in with the API key)");
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Options parse(String[] args) {
        int port = 3000;
        int dynamoPort = 0;
        int sqsPort = 0;
        boolean samples = false;
        Path dataDir = Path.of(".metronome");
        boolean inMemory = false;
        boolean dataDirGiven = false;
        List<String[]> keys = new ArrayList<>();
        Path template = Path.of(System.getProperty("metronome.template", "template.yaml"));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--in-memory" -> inMemory = true;
                case "--samples" -> samples = true;
                case "--port" -> port = port(value(args, ++i, a), a);
                case "--dynamodb-port" -> dynamoPort = port(value(args, ++i, a), a);
                case "--sqs-port" -> sqsPort = port(value(args, ++i, a), a);
                case "--data-dir" -> {
                    dataDir = Path.of(value(args, ++i, a));
                    dataDirGiven = true;
                }
                case "--api-key" -> {
                    String v = value(args, ++i, a);
                    int colon = v.indexOf(':');
                    if (colon < 1 || colon == v.length() - 1) {
                        throw new IllegalArgumentException("--api-key needs USER:KEY, not '" + v + "'");
                    }
                    keys.add(new String[]{v.substring(0, colon), v.substring(colon + 1)});
                }
                case "--template" -> template = Path.of(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (inMemory && dataDirGiven) {
            throw new IllegalArgumentException("--in-memory and --data-dir cannot be used together");
        }
        if (!Files.isRegularFile(template)) {
            throw new IllegalArgumentException("no template at " + template.toAbsolutePath());
        }
        if (!inMemory) {
            try {
                Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the data directory " + dataDir, e);
            }
        }
        return new Options(port, inMemory ? null : dataDir, keys, template, dynamoPort, sqsPort, samples);
    }

    private static boolean onThisMachine(java.net.URI endpoint) {
        String host = endpoint.getHost() == null ? "" : endpoint.getHost();
        return host.equalsIgnoreCase("localhost")
                || EgressPolicy.literal(host).map(java.net.InetAddress::isLoopbackAddress).orElse(false);
    }

    private static int port(java.net.URI endpoint) {
        return endpoint.getPort() != -1 ? endpoint.getPort() : "https".equals(endpoint.getScheme()) ? 443 : 80;
    }

    private static int port(String v, String option) {
        int port;
        try {
            port = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, not '" + v + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(option + " must be from 1 to 65535");
        }
        return port;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
