package org.rfaas.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    @Test
    void aCommandLineThatNamesASubCommandBuildsOnlyThatOne() {
        for (String name : Main.SUBCOMMANDS.keySet()) {
            CommandLine cl = Main.commandLine(name, "--help");
            assertEquals(List.of(name), List.copyOf(cl.getSubcommands().keySet()), "its name is its picocli name");
        }
    }

    @Test
    void theHelpAndAnUnknownCommandListEverySubCommand() {
        List<String> all = new ArrayList<>(List.of("help"));
        all.addAll(Main.SUBCOMMANDS.keySet());
        for (String[] args : new String[][] {{}, {"--help"}, {"help"}, {"no-such-command"}}) {
            assertEquals(all, List.copyOf(Main.commandLine(args).getSubcommands().keySet()), String.join(" ", args));
        }
        StringWriter usage = new StringWriter();
        CommandLine cl = Main.commandLine("--help");
        cl.setOut(new PrintWriter(usage));
        assertEquals(0, cl.execute("--help"));
        for (String name : Main.SUBCOMMANDS.keySet()) {
            boolean hidden = cl.getSubcommands().get(name).getCommandSpec().usageMessage().hidden();
            assertEquals(!hidden, usage.toString().contains("  " + name + " "), name + " in\n" + usage);
            assertEquals(name.equals("train-cli"), hidden, name);
        }
        StringWriter error = new StringWriter();
        CommandLine unknown = Main.commandLine("no-such-command");
        unknown.setErr(new PrintWriter(error));
        assertEquals(2, unknown.execute("no-such-command"));
        assertTrue(error.toString().contains("Did you mean: rfaas "), error.toString()); // suggested from all of them
    }

    @Test
    void enumOptionsOfTheSubCommandIgnoreCase() {
        CommandLine cl = Main.commandLine("invoke", "--mode", "WARM", "--function", "f", "--package", "p.jar");
        cl.parseArgs("invoke", "--mode", "WARM", "--function", "f", "--package", "p.jar");
        InvokeCommand invoke = cl.getSubcommands().get("invoke").getCommand();
        assertEquals(org.rfaas.client.WaitMode.WARM, invoke.mode);
    }
}
