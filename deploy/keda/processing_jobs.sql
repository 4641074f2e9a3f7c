-- The jobs being processed now: the worker app's second KEDA rule (deploy/main.bicep). KEDA takes
-- the larger of its rules' replica counts, so replicas that are busy are kept while the queue is
-- empty: with the claimable-jobs rule alone, a queue that workers keep up with reads 0 and the
-- platform would scale in after its cool-down, until a backlog builds and it scales out again.
-- A job whose worker vanished counts until it is rescued (at most the lease timeout).
SELECT count(*) FROM jobs WHERE status = 'PROCESSING'
