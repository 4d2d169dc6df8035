import java.util.Arrays;

/**
 * Measures one handler's initialisation in this (fresh) JVM: loading its class and running the no-argument
 * constructor Lambda calls, which builds the SDK clients and everything else once per container. Prints the
 * time in milliseconds. Run by infra/bench/cold-start, once per JVM, several JVMs per handler.
 */
public class ColdStart {
    /** The baseline: a handler that does nothing, measured the same way. */
    public static class HelloWorld implements com.amazonaws.services.lambda.runtime.RequestHandler<Object, String> {
        @Override
        public String handleRequest(Object input, com.amazonaws.services.lambda.runtime.Context context) {
            return "hello";
        }
    }

    public static void main(String[] args) throws Exception {
        String handler = args[0];
        long start = System.nanoTime();
        Object instance = Class.forName(handler.equals("hello") ? HelloWorld.class.getName() : handler)
                .getConstructor().newInstance();
        long elapsed = System.nanoTime() - start;
        if (instance == null) {
            throw new IllegalStateException();
        }
        System.out.printf("%.1f%n", elapsed / 1e6);
    }
}
