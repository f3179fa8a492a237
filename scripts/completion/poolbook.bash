# bash completion for poolbook — installed as
# share/bash-completion/completions/poolbook. Commands and entry types come
# from `poolbook __complete`, a command's options from its own --help (the
# table that parses them), pool and partner ids from the ledger's state.
_poolbook() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi
  local pb=${words[0]} cmd="" i ledger=()
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --ledger) ledger=(--ledger "${words[i + 1]}"); ((i++)) ;;
      --ledger=*) ledger=("${words[i]}") ;;
      -*) ;;
      *) cmd=${words[i]}; break ;;
    esac
  done
  case $prev in
    --pool) COMPREPLY=($(compgen -W "$("$pb" "${ledger[@]}" __complete pools 2>/dev/null)" -- "$cur")); return ;;
    --partner) COMPREPLY=($(compgen -W "$("$pb" "${ledger[@]}" __complete partners 2>/dev/null)" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "text json csv html xlsx jsonl ledger" -- "$cur")); return ;;
    -k|--key-file|--ledger|--map|--file|--passphrase-file|-o|--output|--out|--pubkey|--bundle)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "$("$pb" __complete commands 2>/dev/null) --ledger --help --version" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($("$pb" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u | grep -- "^$cur"))
    return
  fi
  case $cmd in
    new|post)
      if [ "$i" -eq $((cword - 1)) ]; then
        COMPREPLY=($(compgen -W "$("$pb" __complete types 2>/dev/null)" -- "$cur"))
        return
      fi ;;
    pool) [ "$i" -eq $((cword - 1)) ] && { COMPREPLY=($(compgen -W show -- "$cur")); return; }
      [ "$prev" = show ] && { COMPREPLY=($(compgen -W "$("$pb" "${ledger[@]}" __complete pools 2>/dev/null)" -- "$cur")); return; } ;;
    policy) [ "$i" -eq $((cword - 1)) ] && { COMPREPLY=($(compgen -W "check explain" -- "$cur")); return; } ;;
    proof) [ "$i" -eq $((cword - 1)) ] && { COMPREPLY=($(compgen -W "inclusion consistency" -- "$cur")); return; } ;;
  esac
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _poolbook poolbook
