# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rftp_global_optspecs
    string join \n n/no-login u/user= e/fail-fast a/anonymous d/debug v/verbose q/quiet active timeout= j/parallel= tls cacert= insecure pin= retries= retry-wait= limit-rate= P/port= h/help V/version
end

function __fish_rftp_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rftp_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rftp_using_subcommand
    set -l cmd (__fish_rftp_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rftp -n "__fish_rftp_needs_command" -s u -l user -d 'Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt)' -r
complete -c rftp -n "__fish_rftp_needs_command" -l timeout -d 'Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB (defaults: 30 s to connect, 60 s otherwise)' -r
complete -c rftp -n "__fish_rftp_needs_command" -s j -l parallel -d 'Connections for many files at once: several files, -r, mirror, and the shell\'s mget and mput (default: 4 to a server that answers within 3 ms, else 16)' -r
complete -c rftp -n "__fish_rftp_needs_command" -l cacert -d 'Trust the CA certificates in this PEM file too (FTPS)' -r -F
complete -c rftp -n "__fish_rftp_needs_command" -l pin -d 'Accept exactly the certificate with this SHA-256 fingerprint, and no other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal shows it, colons and case optional. Nothing is recorded' -r
complete -c rftp -n "__fish_rftp_needs_command" -l retries -d 'Tries after a transient failure (a dropped or refused connection, a timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5)' -r
complete -c rftp -n "__fish_rftp_needs_command" -l retry-wait -d 'Seconds to wait before the first retry; the wait doubles each time, with some jitter, up to 60 s (default 1)' -r
complete -c rftp -n "__fish_rftp_needs_command" -l limit-rate -d 'The most the data may move per second, across all connections of the command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at least 1K' -r
complete -c rftp -n "__fish_rftp_needs_command" -s P -l port -d 'The server\'s port, for HOST:PATH locations (URLs carry their own)' -r
complete -c rftp -n "__fish_rftp_needs_command" -s n -l no-login -d 'Connect without logging in (a `user` command logs in)'
complete -c rftp -n "__fish_rftp_needs_command" -s e -l fail-fast -d 'In a script, stop at the first failing command'
complete -c rftp -n "__fish_rftp_needs_command" -s a -l anonymous -d 'Log in anonymously'
complete -c rftp -n "__fish_rftp_needs_command" -s d -l debug -d 'Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked)'
complete -c rftp -n "__fish_rftp_needs_command" -s v -l verbose -d 'Show server replies and transfer summaries'
complete -c rftp -n "__fish_rftp_needs_command" -s q -l quiet -d 'Show only what was asked for: no replies, no progress'
complete -c rftp -n "__fish_rftp_needs_command" -l active -d 'Use active mode (the server connects back) instead of passive mode'
complete -c rftp -n "__fish_rftp_needs_command" -l tls -d 'FTPS: AUTH TLS on the control connection and TLS on every data connection (never falls back to plain text)'
complete -c rftp -n "__fish_rftp_needs_command" -l insecure -d 'Do not check the server\'s certificate (FTPS; a warning is printed)'
complete -c rftp -n "__fish_rftp_needs_command" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_needs_command" -s V -l version -d 'Print version'
complete -c rftp -n "__fish_rftp_needs_command" -a "get" -d 'Download files: SOURCE is HOST:PATH or ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH'
complete -c rftp -n "__fish_rftp_needs_command" -a "put" -d 'Upload files: DEST is HOST:PATH or an ftp:// URL (a folder when it ends with /)'
complete -c rftp -n "__fish_rftp_needs_command" -a "ls" -d 'List a remote folder to standard output'
complete -c rftp -n "__fish_rftp_needs_command" -a "mirror" -d 'Keep a folder in step with another: SOURCE into TARGET, one remote (ftp://HOST/PATH or HOST:PATH) and one local. Only what differs in size or time moves; times are kept; a second run moves nothing'
complete -c rftp -n "__fish_rftp_needs_command" -a "demo" -d 'Try rftp: serve a sample folder and open the shell on it'
complete -c rftp -n "__fish_rftp_needs_command" -a "serve" -d 'Serve a folder over FTP on 127.0.0.1 (read-only and anonymous by default; --port N picks the port, else any free one; --user NAME:PASSWORD requires a login)'
complete -c rftp -n "__fish_rftp_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s o -l output -d 'Where to save: a file, a folder, or - for standard output' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -l segments -d 'Fetch each file as N byte ranges on N connections at once (REST); 1 turns it off. By default files of 64 MiB and up are split in up to 4 (within -j) when the server supports REST' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -s u -l user -d 'Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt)' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -l timeout -d 'Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB (defaults: 30 s to connect, 60 s otherwise)' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -s j -l parallel -d 'Connections for many files at once: several files, -r, mirror, and the shell\'s mget and mput (default: 4 to a server that answers within 3 ms, else 16)' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -l cacert -d 'Trust the CA certificates in this PEM file too (FTPS)' -r -F
complete -c rftp -n "__fish_rftp_using_subcommand get" -l pin -d 'Accept exactly the certificate with this SHA-256 fingerprint, and no other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal shows it, colons and case optional. Nothing is recorded' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -l retries -d 'Tries after a transient failure (a dropped or refused connection, a timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5)' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -l retry-wait -d 'Seconds to wait before the first retry; the wait doubles each time, with some jitter, up to 60 s (default 1)' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -l limit-rate -d 'The most the data may move per second, across all connections of the command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at least 1K' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -s P -l port -d 'The server\'s port, for HOST:PATH locations (URLs carry their own)' -r
complete -c rftp -n "__fish_rftp_using_subcommand get" -s c -l continue -d 'Continue a partial download'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s r -l recursive -d 'Download whole folders, empty ones included'
complete -c rftp -n "__fish_rftp_using_subcommand get" -l verify -d 'Compare checksums after each file (the best the server offers: HASH, XSHA256, XSHA1, XMD5, XCRC); a file that differs is moved again once, then fails. Sizes only where the server has no checksum command'
complete -c rftp -n "__fish_rftp_using_subcommand get" -l json -d 'One JSON object per line on standard output for each file (remote, local, bytes, seconds, result, and for a failure the error, the server\'s reply code and text, and the exit status); messages go to standard error, and no progress bar is drawn'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s a -l anonymous -d 'Log in anonymously'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s d -l debug -d 'Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked)'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s v -l verbose -d 'Show server replies and transfer summaries'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s q -l quiet -d 'Show only what was asked for: no replies, no progress'
complete -c rftp -n "__fish_rftp_using_subcommand get" -l active -d 'Use active mode (the server connects back) instead of passive mode'
complete -c rftp -n "__fish_rftp_using_subcommand get" -l tls -d 'FTPS: AUTH TLS on the control connection and TLS on every data connection (never falls back to plain text)'
complete -c rftp -n "__fish_rftp_using_subcommand get" -l insecure -d 'Do not check the server\'s certificate (FTPS; a warning is printed)'
complete -c rftp -n "__fish_rftp_using_subcommand get" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s u -l user -d 'Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt)' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -l timeout -d 'Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB (defaults: 30 s to connect, 60 s otherwise)' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -s j -l parallel -d 'Connections for many files at once: several files, -r, mirror, and the shell\'s mget and mput (default: 4 to a server that answers within 3 ms, else 16)' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -l cacert -d 'Trust the CA certificates in this PEM file too (FTPS)' -r -F
complete -c rftp -n "__fish_rftp_using_subcommand put" -l pin -d 'Accept exactly the certificate with this SHA-256 fingerprint, and no other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal shows it, colons and case optional. Nothing is recorded' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -l retries -d 'Tries after a transient failure (a dropped or refused connection, a timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5)' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -l retry-wait -d 'Seconds to wait before the first retry; the wait doubles each time, with some jitter, up to 60 s (default 1)' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -l limit-rate -d 'The most the data may move per second, across all connections of the command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at least 1K' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -s P -l port -d 'The server\'s port, for HOST:PATH locations (URLs carry their own)' -r
complete -c rftp -n "__fish_rftp_using_subcommand put" -s r -l recursive -d 'Upload whole folders, empty ones included'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s c -l continue -d 'Continue a partial upload: send only what the remote file lacks'
complete -c rftp -n "__fish_rftp_using_subcommand put" -l verify -d 'Compare checksums after each file (the best the server offers: HASH, XSHA256, XSHA1, XMD5, XCRC); a file that differs is moved again once, then fails. Sizes only where the server has no checksum command'
complete -c rftp -n "__fish_rftp_using_subcommand put" -l json -d 'One JSON object per line on standard output for each file (remote, local, bytes, seconds, result, and for a failure the error, the server\'s reply code and text, and the exit status); messages go to standard error, and no progress bar is drawn'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s a -l anonymous -d 'Log in anonymously'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s d -l debug -d 'Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked)'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s v -l verbose -d 'Show server replies and transfer summaries'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s q -l quiet -d 'Show only what was asked for: no replies, no progress'
complete -c rftp -n "__fish_rftp_using_subcommand put" -l active -d 'Use active mode (the server connects back) instead of passive mode'
complete -c rftp -n "__fish_rftp_using_subcommand put" -l tls -d 'FTPS: AUTH TLS on the control connection and TLS on every data connection (never falls back to plain text)'
complete -c rftp -n "__fish_rftp_using_subcommand put" -l insecure -d 'Do not check the server\'s certificate (FTPS; a warning is printed)'
complete -c rftp -n "__fish_rftp_using_subcommand put" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s u -l user -d 'Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt)' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l timeout -d 'Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB (defaults: 30 s to connect, 60 s otherwise)' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s j -l parallel -d 'Connections for many files at once: several files, -r, mirror, and the shell\'s mget and mput (default: 4 to a server that answers within 3 ms, else 16)' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l cacert -d 'Trust the CA certificates in this PEM file too (FTPS)' -r -F
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l pin -d 'Accept exactly the certificate with this SHA-256 fingerprint, and no other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal shows it, colons and case optional. Nothing is recorded' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l retries -d 'Tries after a transient failure (a dropped or refused connection, a timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5)' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l retry-wait -d 'Seconds to wait before the first retry; the wait doubles each time, with some jitter, up to 60 s (default 1)' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l limit-rate -d 'The most the data may move per second, across all connections of the command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at least 1K' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s P -l port -d 'The server\'s port, for HOST:PATH locations (URLs carry their own)' -r
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s l -l long -d 'Long listing (LIST) instead of names (NLST)'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l json -d 'One JSON object per line for each entry: name, type (file, dir, link, other), size and modification time (RFC 3339, UTC), from MLSD when the server has it, else from LIST; null when not known'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s a -l anonymous -d 'Log in anonymously'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s d -l debug -d 'Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked)'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s v -l verbose -d 'Show server replies and transfer summaries'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s q -l quiet -d 'Show only what was asked for: no replies, no progress'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l active -d 'Use active mode (the server connects back) instead of passive mode'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l tls -d 'FTPS: AUTH TLS on the control connection and TLS on every data connection (never falls back to plain text)'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -l insecure -d 'Do not check the server\'s certificate (FTPS; a warning is printed)'
complete -c rftp -n "__fish_rftp_using_subcommand ls" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l exclude -d 'Leave out paths matching GLOB (as in .gitignore: `*.tmp` at any depth, `build/*.o` from the top, `**` across folders); repeatable' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l include -d 'Take only paths matching GLOB (same rules as --exclude); repeatable' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s u -l user -d 'Log in as USER (password from $RFTP_PASSWORD, ~/.netrc, or a prompt)' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l timeout -d 'Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB (defaults: 30 s to connect, 60 s otherwise)' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s j -l parallel -d 'Connections for many files at once: several files, -r, mirror, and the shell\'s mget and mput (default: 4 to a server that answers within 3 ms, else 16)' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l cacert -d 'Trust the CA certificates in this PEM file too (FTPS)' -r -F
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l pin -d 'Accept exactly the certificate with this SHA-256 fingerprint, and no other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal shows it, colons and case optional. Nothing is recorded' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l retries -d 'Tries after a transient failure (a dropped or refused connection, a timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5)' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l retry-wait -d 'Seconds to wait before the first retry; the wait doubles each time, with some jitter, up to 60 s (default 1)' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l limit-rate -d 'The most the data may move per second, across all connections of the command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at least 1K' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s P -l port -d 'The server\'s port, for HOST:PATH locations (URLs carry their own)' -r
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l delete -d 'Remove from the target what the source lacks (files, then empty folders), only inside the mirrored folder'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l only-newer -d 'Transfer only files whose source copy is newer (and files the target lacks)'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l only-missing -d 'Transfer only files the target lacks'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l dry-run -d 'Print what would be done; change nothing anywhere'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l verify -d 'Compare checksums after each transfer (HASH, XSHA256, XSHA1, XMD5 or XCRC)'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l json -d 'One JSON object per line on standard output for every action; the summary goes to standard error'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s a -l anonymous -d 'Log in anonymously'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s d -l debug -d 'Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked)'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s v -l verbose -d 'Show server replies and transfer summaries'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s q -l quiet -d 'Show only what was asked for: no replies, no progress'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l active -d 'Use active mode (the server connects back) instead of passive mode'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l tls -d 'FTPS: AUTH TLS on the control connection and TLS on every data connection (never falls back to plain text)'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -l insecure -d 'Do not check the server\'s certificate (FTPS; a warning is printed)'
complete -c rftp -n "__fish_rftp_using_subcommand mirror" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l timeout -d 'Longest wait for the server, in seconds: to connect, for a whole reply, and for a data connection to move 1 KiB (defaults: 30 s to connect, 60 s otherwise)' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s j -l parallel -d 'Connections for many files at once: several files, -r, mirror, and the shell\'s mget and mput (default: 4 to a server that answers within 3 ms, else 16)' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l cacert -d 'Trust the CA certificates in this PEM file too (FTPS)' -r -F
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l pin -d 'Accept exactly the certificate with this SHA-256 fingerprint, and no other, for this run (FTPS; repeatable): sha256:AB:CD:… as a refusal shows it, colons and case optional. Nothing is recorded' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l retries -d 'Tries after a transient failure (a dropped or refused connection, a timeout, 421, 425, 426, 450, 451); 0 never tries again (default 5)' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l retry-wait -d 'Seconds to wait before the first retry; the wait doubles each time, with some jitter, up to 60 s (default 1)' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l limit-rate -d 'The most the data may move per second, across all connections of the command: bytes, or with K, M or G (1024-based), e.g. 500K, 2M; at least 1K' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s P -l port -d 'The server\'s port, for HOST:PATH locations (URLs carry their own)' -r
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s a -l anonymous -d 'Log in anonymously'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s d -l debug -d 'Show the protocol: -d for commands and replies, -dd for every line (passwords stay masked)'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s v -l verbose -d 'Show server replies and transfer summaries'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s q -l quiet -d 'Show only what was asked for: no replies, no progress'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l active -d 'Use active mode (the server connects back) instead of passive mode'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l tls -d 'FTPS: AUTH TLS on the control connection and TLS on every data connection (never falls back to plain text)'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -l insecure -d 'Do not check the server\'s certificate (FTPS; a warning is printed)'
complete -c rftp -n "__fish_rftp_using_subcommand demo" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_using_subcommand serve" -s u -l user -d 'Require this login (anonymous without it)' -r
complete -c rftp -n "__fish_rftp_using_subcommand serve" -s P -l port -d 'The port to listen on (default: any free one)' -r
complete -c rftp -n "__fish_rftp_using_subcommand serve" -s w -l write -d 'Allow uploads, deletions, renames and new folders'
complete -c rftp -n "__fish_rftp_using_subcommand serve" -s h -l help -d 'Print help'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "get" -d 'Download files: SOURCE is HOST:PATH or ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "put" -d 'Upload files: DEST is HOST:PATH or an ftp:// URL (a folder when it ends with /)'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "ls" -d 'List a remote folder to standard output'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "mirror" -d 'Keep a folder in step with another: SOURCE into TARGET, one remote (ftp://HOST/PATH or HOST:PATH) and one local. Only what differs in size or time moves; times are kept; a second run moves nothing'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "demo" -d 'Try rftp: serve a sample folder and open the shell on it'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "serve" -d 'Serve a folder over FTP on 127.0.0.1 (read-only and anonymous by default; --port N picks the port, else any free one; --user NAME:PASSWORD requires a login)'
complete -c rftp -n "__fish_rftp_using_subcommand help; and not __fish_seen_subcommand_from get put ls mirror demo serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
