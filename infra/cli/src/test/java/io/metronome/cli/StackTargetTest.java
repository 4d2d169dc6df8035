package io.metronome.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What --stack reads: outputs the template declares. (No test here calls AWS.) */
class StackTargetTest {
    @Test
    void theTemplateDeclaresEveryOutputTheCommandsRead() throws Exception {
        List<String> outputs = new ArrayList<>();
        boolean inOutputs = false;
        for (String line : Files.readAllLines(Path.of("../../template.yaml"))) {
            if (!line.startsWith(" ") && !line.isBlank()) {
                inOutputs = line.equals("Outputs:");
            } else if (inOutputs && line.matches("  [A-Za-z]+:.*")) {
                outputs.add(line.trim().replaceAll(":.*", ""));
            }
        }
        assertThat(outputs).containsAll(StackTarget.OUTPUTS);
    }

    @Test
    void aStackWithoutTheOutputsIsRefusedNamingThem() {
        assertThatThrownBy(() -> StackTarget.required("stack old in eu-west-1",
                Map.of("NodeQueueUrl", "https://q", "NodeDeadLetterQueueUrl", "https://d")))
                .isInstanceOf(CommandFailed.class)
                .hasMessage("stack old in eu-west-1 has no output ApiKeysTableName, RunsTableName: deploy the current "
                        + "template.yaml to it (sam deploy)");
        assertThat(StackTarget.required("s", Map.of("ApiKeysTableName", "k", "RunsTableName", "r", "NodeQueueUrl", "q",
                "NodeDeadLetterQueueUrl", "d", "ApiUrl", "u"))).containsOnlyKeys(StackTarget.OUTPUTS);
    }
}
