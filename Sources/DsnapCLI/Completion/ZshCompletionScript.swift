/// `dsnap completion zsh`: `_arguments` specifications written from the command declarations,
/// with snapshots and remotes asked of `dsnap __complete` at Tab time.
enum ZshCompletionScript {
    static func render(_ model: CompletionModel) -> String {
        let globals = CompletionModel.globalOptions.map { spec($0, indent: "        ") }.joined(separator: " \\\n")
        let commands = model.commands.map { "        " + quoted(escapeColons($0.name) + ":" + escapeColons($0.summary)) }
            .joined(separator: "\n")
        var cases = ""
        for command in model.commands {
            var lines = command.options.map { spec($0, indent: "                ") }
            for (index, operand) in command.operands.enumerated() {
                let position = command.repeats && index == command.operands.count - 1 ? "*" : "\(index + 1)"
                let optional = operand.optional && position != "*" ? ":" : ""
                lines.append("                " + quoted(position + optional + ":" + escapeColons(operand.help) + ":"
                                                       + action(operand.completion)))
            }
            if let trailing = command.trailing, !command.repeats {
                lines.append("                " + quoted("*:" + escapeColons(command.name) + " paths:" + action(trailing)))
            }
            cases += "        (\(command.name))\n            _arguments -S \\\n" + lines.joined(separator: " \\\n")
                + " && ret=0 ;;\n"
        }
        let names = model.commands.map(\.name).joined(separator: " ")
        return #"""
        #compdef dsnap
        # zsh completion for dsnap, written by 'dsnap completion zsh' from dsnap's command declarations.
        # Install: dsnap completion zsh > "${fpath[1]}/_dsnap" (any folder in $fpath), then restart zsh;
        # or, for this shell only (after compinit): source <(dsnap completion zsh)

        # Lines dsnap prints for WHAT (snapshots, deleted, remotes), in the dataset -C names if given.
        _dsnap_ask() {
            local -a dir items
            [[ -n ${_dsnap_dir-} ]] && dir=(-C ${${(Q)_dsnap_dir}/#\~/$HOME})
            items=(${(f)"$(_call_program $1 ${~_dsnap_bin:-dsnap} ${dir[@]} __complete $1 2>/dev/null)"})
            compadd -a items
        }
        _dsnap_snapshots() {
            # A clone's source may be a path: a slash means one is being typed.
            if [[ $PREFIX == */* ]]; then _files; else _dsnap_ask snapshots; fi
        }
        _dsnap_deleted() { _dsnap_ask deleted }
        _dsnap_remotes() { _dsnap_ask remotes }
        _dsnap_command_names() { compadd -- \#(names) }

        _dsnap() {
            local curcontext=$curcontext state state_descr line ret=1
            local -A opt_args
            # The dsnap being completed (maybe a path), asked for snapshots and remotes later on.
            local _dsnap_bin=${words[1]}
            _arguments -C \
        \#(globals) \
                ': :->command' \
                '*:: :->argument' && ret=0
            case $state in
            (command)
                local -a commands
                commands=(
        \#(commands)
                )
                _describe -t commands 'dsnap command' commands && ret=0 ;;
            (argument)
                # From here $words holds the command's words only: -C is kept from the first pass.
                local _dsnap_dir=${opt_args[-C]-}
                curcontext=${curcontext%:*:*}:dsnap-$words[1]:
                case $words[1] in
        \#(cases)        esac ;;
            esac
            return ret
        }

        # Autoloaded from $fpath the file is the function's body; sourced, it registers itself.
        if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
            _dsnap "$@"
        else
            compdef _dsnap dsnap
        fi

        """#
    }

    /// One option for `_arguments`: `'(-n --max-count)'{-n+,--max-count=}'[help]:N: '`.
    static func spec(_ option: CompletionModel.Option, indent: String) -> String {
        let help = "[" + escapeBrackets(option.help) + "]"
        let value = option.takesValue ? ":" + escapeColons(option.placeholder) + ":" + action(option.value) : ""
        func spelled(_ spelling: String) -> String {
            guard option.takesValue else { return spelling }
            if option.valueIsOptional { return spelling + "=-" }
            return spelling.hasPrefix("--") ? spelling + "=" : spelling + "+"
        }
        let spellings = option.spellings
        if spellings.count == 1 {
            return indent + quoted(spelled(spellings[0]) + help + value)
        }
        return indent + quoted("(" + spellings.joined(separator: " ") + ")") + "{" + spellings.map(spelled).joined(separator: ",")
            + "}" + quoted(help + value)
    }

    static func action(_ kind: CompletionKind) -> String {
        switch kind {
        case .none: return " "
        case .snapshot: return "_dsnap_snapshots"
        case .deletedSnapshot: return "_dsnap_deleted"
        case .remote: return "_dsnap_remotes"
        case .path: return "_files"
        case .directory: return "_files -/"
        case .command: return "_dsnap_command_names"
        case let .choices(words): return "(" + words.map(escapeColons).joined(separator: " ") + ")"
        }
    }

    /// Single-quoted for zsh.
    static func quoted(_ text: String) -> String {
        "'" + text.replacing("'", with: #"'\''"#) + "'"
    }

    /// `_arguments` and `_describe` split at unescaped colons.
    static func escapeColons(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing(":", with: "\\:")
    }

    static func escapeBrackets(_ text: String) -> String {
        escapeColons(text).replacing("[", with: "\\[").replacing("]", with: "\\]")
    }
}
