/**
 * A whole experiment's grid as {@code narrow run} runs it: which runs are done, partial or new
 * (read from their folders' markers), each run in turn through the train or prune job, a failed
 * run reported while the next goes on, and the plan ({@code --dry-run}) with its tokens and FLOPs.
 * Depends on config, distributed and prune; cli wires it to the command line.
 */
package narrow.study;
