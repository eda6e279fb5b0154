package io.sparkmlp.app;

import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The picocli parse that {@code submit/evaluate} and {@code submit/predict} share: a later option
 * overrides an earlier one, {@code @file} is a plain argument, and picocli's exceptions become
 * {@link IllegalArgumentException}s worded by the command.
 */
final class CommandLineParsing {

    private CommandLineParsing() {
    }

    static ParseResult parse(CommandSpec spec, String[] args, Function<UnmatchedArgumentException, String> unmatched,
                             Function<MissingParameterException, String> missing) {
        CommandLine line = new CommandLine(spec);
        line.setOverwrittenOptionsAllowed(true);
        line.setExpandAtFiles(false);
        try {
            return line.parseArgs(args);
        } catch (UnmatchedArgumentException e) {
            throw new IllegalArgumentException(unmatched.apply(e), e);
        } catch (MissingParameterException e) {
            throw new IllegalArgumentException(missing.apply(e), e);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
