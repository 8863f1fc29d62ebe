/// `dsnap completion bash`: a completion function whose tables are written from the command
/// declarations, and which asks `dsnap __complete` for snapshots and remotes at Tab time.
enum BashCompletionScript {
    static func render(_ model: CompletionModel) -> String {
        var specs = ""
        for command in model.commands {
            let valued = command.options.filter { $0.takesValue && !$0.valueIsOptional }
                .flatMap { option in option.spellings.map { $0 + "=" + kind(option.value) } }
            let spellings = command.options.flatMap { option in
                option.valueIsOptional ? ["--" + option.long, "--" + option.long + "="] : option.spellings
            }
            specs += """
                    \(word(command.name)))
                        options=(\(spellings.map(word).joined(separator: " ")))
                        valued=(\(valued.map(word).joined(separator: " ")))
                        operands=(\(command.operands.map { word(kind($0.completion)) }.joined(separator: " ")))
                        repeats=\(command.repeats ? 1 : 0)
                        trailing=\(command.trailing.map { word(kind($0)) } ?? "''")
                        ;;

            """
        }
        let commands = model.commands.map { word($0.name) }.joined(separator: " ")
        let globals = CompletionModel.globalOptions.flatMap(\.spellings).map(word).joined(separator: " ")
        return #"""
        # bash completion for dsnap, written by 'dsnap completion bash' from dsnap's command declarations.
        # Install: dsnap completion bash > ~/.local/share/bash-completion/completions/dsnap
        # or, for this shell only: source <(dsnap completion bash)

        _dsnap_commands=(\#(commands))

        # Sets the caller's options, valued (OPTION=KIND for those taking the next word), operands
        # (a kind per operand), repeats (the last operand repeats) and trailing (the kind after --).
        _dsnap_spec() {
            options=() valued=() operands=() repeats=0 trailing=''
            case $1 in
        \#(specs)        *) return 1 ;;
            esac
        }

        # Adds the candidates of KIND that start with the word being completed. $prefix is what
        # precedes the value in that word ('--remote='); bash replaces only what follows $drop.
        _dsnap_offer() {
            local kind=$1 what='' value=${cur#"$prefix"} candidate joined
            local -a candidates=()
            case $kind in
                snapshot)
                    # A clone's source may be a path: a slash means one is being typed.
                    if [[ $cur == */* ]]; then _dsnap_offer path; return; fi
                    what=snapshots ;;
                deleted) what=deleted ;;
                remote) what=remotes ;;
                path|directory)
                    compopt -o filenames 2>/dev/null
                    if [[ $kind == path ]]; then mapfile -t candidates < <(compgen -f -- "$value")
                    else mapfile -t candidates < <(compgen -d -- "$value"); fi
                    for candidate in "${candidates[@]}"; do
                        # A dataset's own git directory is never an operand.
                        [[ ${candidate##*/} == .dsnap ]] && continue
                        candidate=$prefix$candidate
                        [[ $candidate == "$drop"* ]] && COMPREPLY+=("${candidate#"$drop"}")
                    done
                    return 0 ;;
                command) candidates=("${_dsnap_commands[@]}") ;;
                choices:*) read -ra candidates <<< "${kind#choices:}" ;;
                words:*) read -ra candidates <<< "${kind#words:}" ;;
            esac
            if [[ -n $what ]]; then
                # dsnap keeps only the lines that start with the value typed, and the rest is done
                # on whole arrays: a bash loop over a thousand snapshots costs more than dsnap's answer.
                mapfile -t candidates < <("$dsnap" "${dir[@]}" __complete "$what" "${value//\\/}" 2>/dev/null)
                (( ${#candidates[@]} )) || return 0
                printf -v joined '%q\n' "${candidates[@]}"
                mapfile -t candidates <<< "${joined%$'\n'}"
                candidates=("${candidates[@]/#/$prefix}")
                COMPREPLY+=("${candidates[@]#"$drop"}")
                return 0
            fi
            for candidate in "${candidates[@]}"; do
                candidate=$prefix$candidate
                [[ $candidate == "$cur"* && $candidate == "$drop"* ]] && COMPREPLY+=("${candidate#"$drop"}")
            done
            return 0
        }

        _dsnap() {
            COMPREPLY=()
            # Join again what COMP_WORDBREAKS split ('--remote=origin', 'SNAP:PATH').
            local -a words=()
            local cword=0 i w glue=0
            for (( i = 0; i < ${#COMP_WORDS[@]}; i++ )); do
                w=${COMP_WORDS[i]}
                if (( i > 0 )) && [[ $glue == 1 || ( -n $w && -z ${w//[=:]/} ) ]]; then
                    words[${#words[@]}-1]+=$w
                    [[ -n $w && -z ${w//[=:]/} ]] && glue=1 || glue=0
                else
                    words+=("$w")
                    glue=0
                fi
                (( i == COMP_CWORD )) && cword=$(( ${#words[@]} - 1 ))
            done
            local cur=${words[cword]} prefix='' drop=''
            local breaks=${COMP_WORDBREAKS//[!=:]/}
            [[ -n $breaks ]] && drop=${cur%"${cur##*[$breaks]}"}
            local dsnap=${words[0]/#\~/$HOME}
            local -a dir=()

            # Global options, then the command.
            local command='' n
            for (( i = 1; i < cword; i++ )); do
                w=${words[i]}
                case $w in
                    -C) (( i + 1 < cword )) && dir=(-C "${words[i+1]/#\~/$HOME}"); (( i++ )) ;;
                    -*) ;;
                    *) command=$w; break ;;
                esac
            done
            if [[ -z $command ]]; then
                if [[ ${words[cword-1]} == -C ]]; then _dsnap_offer directory
                elif [[ $cur == -* ]]; then _dsnap_offer "words:\#(globals)"
                else _dsnap_offer command; fi
                return 0
            fi

            local -a options valued operands
            local repeats trailing
            _dsnap_spec "$command" || return 0
            # Where the word being completed is: an option's value, after --, or which operand.
            local value='' dashdash=0 count=0 entry
            for (( i++; i < cword; i++ )); do
                w=${words[i]}
                if [[ $dashdash == 0 && $w == -- ]]; then dashdash=1; continue; fi
                if [[ $dashdash == 0 && $w == -?* ]]; then
                    for entry in "${valued[@]}"; do
                        if [[ ${entry%%=*} == "$w" ]]; then
                            if (( i + 1 == cword )); then value=${entry#*=}; else (( i++ )); fi
                            break
                        fi
                    done
                    continue
                fi
                [[ $dashdash == 1 && -n $trailing ]] || (( count++ ))
            done
            if [[ -n $value ]]; then _dsnap_offer "$value"; return 0; fi
            if [[ $dashdash == 0 && $cur == --*=* ]]; then
                for entry in "${valued[@]}"; do
                    if [[ ${entry%%=*} == "${cur%%=*}" ]]; then
                        prefix=${cur%%=*}=
                        _dsnap_offer "${entry#*=}"
                    fi
                done
                return 0
            fi
            if [[ $dashdash == 0 && $cur == -* ]]; then
                _dsnap_offer "words:${options[*]}"
                return 0
            fi
            if [[ $dashdash == 1 && -n $trailing ]]; then _dsnap_offer "$trailing"; return 0; fi
            n=${#operands[@]}
            if (( count < n )); then _dsnap_offer "${operands[count]}"
            elif (( repeats && n > 0 )); then _dsnap_offer "${operands[n-1]}"; fi
            return 0
        }

        complete -F _dsnap dsnap

        """#
    }

    /// A kind as the script's tables spell it.
    static func kind(_ kind: CompletionKind) -> String {
        switch kind {
        case .none: return "none"
        case .snapshot: return "snapshot"
        case .deletedSnapshot: return "deleted"
        case .remote: return "remote"
        case .path: return "path"
        case .directory: return "directory"
        case .command: return "command"
        case let .choices(words): return "choices:" + words.joined(separator: " ")
        }
    }

    /// One shell word, quoted when it needs to be: declarations are data, not shell code.
    static func word(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || "-_=:./+,".unicodeScalars.contains($0)
        }
        return plain ? text : "'" + text.replacing("'", with: #"'\''"#) + "'"
    }
}
