/**
 * Group-sparsity fine-tuning, the study's fourth route to a narrow model: a penalty on the norms of
 * whole MLP neurons (or residual-stream dimensions) added to the training loss through
 * {@link narrow.train.Objective}, its weight steered by {@link narrow.sparsity.AdaptiveLambda},
 * and the group norms that pruning by norm then cuts by. Depends on model and train; config binds
 * its settings, distributed ships them to the replicas.
 */
package narrow.sparsity;
