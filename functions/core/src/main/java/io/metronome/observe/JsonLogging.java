package io.metronome.observe;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SLF4J backend of every function: each event becomes one {@link LogLine} on {@link Output}. Chosen over
 * Logback for its start: a Logback set up in code still added about 40 ms to a handler's initialisation here,
 * this adds what SLF4J itself costs. No configuration file: Metronome's own loggers log from
 * {@code AWS_LAMBDA_LOG_LEVEL} (Lambda sets it from the function's ApplicationLogLevel; INFO when unset), all
 * others (the AWS SDK, the emulators) from WARN.
 */
public final class JsonLogging implements SLF4JServiceProvider {
    private static final String OWN_PREFIX = "io.metronome.";

    /** Lambda's level, else the {@code metronome.logLevel} property (the test suites quiet the INFO lines with it). */
    private static volatile Output.Level ownLevel = Output.Level.parse(System.getenv("AWS_LAMBDA_LOG_LEVEL"),
            Output.Level.parse(System.getProperty("metronome.logLevel"), Output.Level.INFO));
    private static volatile Output.Level otherLevel = Output.Level.WARN;

    private final MDCAdapter mdc = new BasicMDCAdapter();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final Map<String, Logger> loggers = new ConcurrentHashMap<>();
    private final ILoggerFactory factory = name -> loggers.computeIfAbsent(name, JsonLogger::new);

    /** The level from which Metronome's own loggers write. */
    public static Output.Level ownLevel() {
        return ownLevel;
    }

    /** The levels from which events are written: Metronome's loggers, and every other. */
    public static void levels(Output.Level own, Output.Level others) {
        ownLevel = own;
        otherLevel = others;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        // nothing to read or build: the levels come from the environment, the destination is standard output
    }

    static final class JsonLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final boolean own;

        JsonLogger(String name) {
            this.name = name;
            this.own = name.startsWith(OWN_PREFIX);
        }

        private boolean enabled(Output.Level level) {
            return level.compareTo(own ? ownLevel : otherLevel) >= 0;
        }

        @Override
        public boolean isTraceEnabled() {
            return enabled(Output.Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return enabled(Output.Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return enabled(Output.Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return enabled(Output.Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return enabled(Output.Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(org.slf4j.event.Level level, Marker marker, String pattern,
                                                   Object[] arguments, Throwable throwable) {
            Output.Level l = Output.Level.valueOf(level.name());
            Throwable error = throwable;
            if (error == null && arguments != null && arguments.length > 0
                    && arguments[arguments.length - 1] instanceof Throwable t) {
                error = t; // SLF4J's convention: a throwable after the placeholders' arguments is the error
            }
            String message = arguments == null || arguments.length == 0 ? pattern
                    : MessageFormatter.basicArrayFormat(pattern, arguments);
            Map<String, String> context = MDC.getCopyOfContextMap();
            Output.log(new Output.LogEvent(l, name, LogLine.format(Instant.now(), l.name(), name, message,
                    context == null ? null : new java.util.TreeMap<>(context), error)));
        }
    }
}
