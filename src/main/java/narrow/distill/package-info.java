/**
 * Knowledge distillation, the study's fifth route to a narrow model: a student trained from
 * scratch against a large pretrained teacher's softened distribution, plugged into the trainer
 * through {@link narrow.train.Objective}. Depends on model and train; config binds its settings,
 * distributed ships them to the replicas.
 */
package narrow.distill;
