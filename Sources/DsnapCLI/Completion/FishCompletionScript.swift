/// `dsnap completion fish`: `complete` lines written from the command declarations, with
/// snapshots and remotes asked of `dsnap __complete` at Tab time.
enum FishCompletionScript {
    static func render(_ model: CompletionModel) -> String {
        var lines: [String] = []
        for option in CompletionModel.globalOptions {
            lines.append("complete -c dsnap -n __dsnap_needs_command" + flags(option))
        }
        for command in model.commands {
            lines.append("complete -c dsnap -n __dsnap_needs_command -a \(quoted(command.name)) -d \(quoted(command.summary))")
        }
        var valuedCases = ""
        var trailingNames: [String] = []
        for command in model.commands {
            lines.append("")
            let condition = quoted("__dsnap_using \(command.name)")
            for option in command.options {
                lines.append("complete -c dsnap -n \(condition)" + flags(option))
            }
            for (index, operand) in command.operands.enumerated() {
                let slot = command.repeats && index == command.operands.count - 1 ? "\(index)+" : "\(index)"
                if let arguments = arguments(operand.completion) {
                    lines.append("complete -c dsnap -n \(quoted("__dsnap_at \(command.name) \(slot)"))" + arguments)
                }
            }
            if let trailing = command.trailing {
                trailingNames.append(command.name)
                if let arguments = arguments(trailing) {
                    lines.append("complete -c dsnap -n \(quoted("__dsnap_at \(command.name) --"))" + arguments)
                }
            }
            let valued = command.options.filter { $0.takesValue && !$0.valueIsOptional }.flatMap(\.spellings)
            if !valued.isEmpty {
                valuedCases += "        case \(quoted(command.name))\n            printf '%s\\n' \(valued.map(quoted).joined(separator: " "))\n"
            }
        }
        let trailingCase = trailingNames.isEmpty ? "" : "        case \(trailingNames.map(quoted).joined(separator: " "))\n            return 0\n"
        return #"""
        # fish completion for dsnap, written by 'dsnap completion fish' from dsnap's command declarations.
        # Install: dsnap completion fish > ~/.config/fish/completions/dsnap.fish
        # or, for this shell only: dsnap completion fish | source

        # The words before the cursor from the command on, past dsnap and its global options.
        function __dsnap_args
            set -l tokens (commandline -opc)
            set -e tokens[1]
            while set -q tokens[1]
                switch $tokens[1]
                    case -C
                        set -e tokens[1]
                    case '-*'
                    case '*'
                        printf '%s\n' $tokens
                        return 0
                end
                set -e tokens[1]
            end
            return 1
        end

        function __dsnap_needs_command
            not __dsnap_args >/dev/null
        end

        function __dsnap_using -a name
            set -l args (__dsnap_args); or return 1
            test "$args[1]" = "$name"
        end

        # The options of COMMAND that take the next word as their value.
        function __dsnap_valued -a command
            switch $command
        \#(valuedCases)    end
        end

        # Whether COMMAND takes operands after --, apart from the ones before it.
        function __dsnap_has_trailing -a command
            switch $command
        \#(trailingCase)    end
            return 1
        end

        # __dsnap_at COMMAND SLOT: the word being completed is COMMAND's operand SLOT (from 0),
        # SLOT+ (that one or a later one), or -- (one after --).
        function __dsnap_at -a command slot
            set -l args (__dsnap_args); or return 1
            test "$args[1]" = "$command"; or return 1
            set -e args[1]
            set -l valued (__dsnap_valued $command)
            set -l count 0
            set -l dashdash 0
            set -l skip 0
            for word in $args
                if test $skip = 1
                    set skip 0
                    continue
                end
                if test $dashdash = 0
                    if test "$word" = --
                        set dashdash 1
                        continue
                    end
                    if string match -q -- '-?*' $word
                        contains -- $word $valued; and set skip 1
                        continue
                    end
                end
                set count (math $count + 1)
            end
            # The word being completed is an option's value.
            test $skip = 1; and return 1
            set -l trailing 0
            test $dashdash = 1; and __dsnap_has_trailing $command; and set trailing 1
            switch $slot
                case --
                    test $trailing = 1
                case '*+'
                    test $trailing = 0 -a $count -ge (string replace + '' $slot)
                case '*'
                    test $trailing = 0 -a $count -eq $slot
            end
        end

        # Lines dsnap prints for WHAT (snapshots, deleted, remotes), in the dataset -C names if given.
        function __dsnap_ask -a what
            set -l tokens (commandline -opc)
            set -l dsnap $tokens[1]
            set -l dir
            set -l index (contains -i -- -C $tokens)
            and set -q tokens[(math $index + 1)]
            and set dir -C $tokens[(math $index + 1)]
            $dsnap $dir __complete $what 2>/dev/null
        end

        function __dsnap_commands
            printf '%s\n' \#(model.commands.map { quoted($0.name) }.joined(separator: " "))
        end

        function __dsnap_snapshots
            # A clone's source may be a path: a slash means one is being typed.
            if string match -q -- '*/*' (commandline -ct)
                __fish_complete_path (commandline -ct)
            else
                __dsnap_ask snapshots
            end
        end

        complete -c dsnap -f
        \#(lines.joined(separator: "\n"))

        """#
    }

    /// `complete` flags for one option: its spellings, its value, its help.
    static func flags(_ option: CompletionModel.Option) -> String {
        var text = ""
        if let short = option.short { text += " -s \(short)" }
        if !option.long.isEmpty { text += " -l \(option.long)" }
        if option.takesValue && !option.valueIsOptional {
            text += arguments(option.value).map { $0.hasPrefix(" -F") ? " -r" + $0 : " -x" + $0 } ?? " -x"
        }
        return text + " -d \(quoted(option.help))"
    }

    /// `-a ...` (or `-F` for paths) offering a kind's candidates; nil for free text.
    static func arguments(_ kind: CompletionKind) -> String? {
        switch kind {
        case .none: return nil
        case .snapshot: return " -a '(__dsnap_snapshots)'"
        case .deletedSnapshot: return " -a '(__dsnap_ask deleted)'"
        case .remote: return " -a '(__dsnap_ask remotes)'"
        case .path: return " -F"
        case .directory: return " -a '(__fish_complete_directories (commandline -ct))'"
        case .command: return " -a '(__dsnap_commands)'"
        case let .choices(words): return " -a " + quoted(words.joined(separator: " "))
        }
    }

    /// Single-quoted for fish, where only \ and ' are special inside.
    static func quoted(_ text: String) -> String {
        "'" + text.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }
}
