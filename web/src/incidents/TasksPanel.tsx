import { seg } from '../api/client.ts';
import { useAction, useQuery } from '../api/hooks.ts';
import type { Task } from '../api/types.ts';
import { useApp } from '../app/context.tsx';
import { Checkbox } from '../ui/controls.tsx';
import { Empty, ErrorNotice } from '../ui/feedback.tsx';
import { Time } from '../ui/time.tsx';

/** The post-incident checklist, by stage, each task checked off by whoever did it. */
export function TasksPanel({ incidentId }: { incidentId: string }) {
  const { api, can, personName } = useApp();
  const tasks = useQuery(() => api.get<{ items: Task[] }>(`/incidents/${seg(incidentId)}/tasks`), [incidentId]);
  const toggle = useAction(async (task: Task) => {
    const next = await api.patch<Task>(`/incidents/${seg(incidentId)}/tasks/${seg(task.id)}`, { done: !task.done });
    tasks.setData((current) => current && { items: current.items.map((t) => (t.id === next.id ? next : t)) });
  });
  const items = tasks.data?.items ?? [];
  const stages = [...new Set(items.map((t) => t.stage))];
  return (
    <section className="panel" aria-labelledby="tasks-title">
      <h2 id="tasks-title">
        After the incident {items.length > 0 && <span className="count">{items.filter((t) => t.done).length}/{items.length}</span>}
      </h2>
      <ErrorNotice error={toggle.error ?? tasks.error} />
      {items.length === 0 && !tasks.loading && <Empty>No checklist.</Empty>}
      {stages.map((stage) => (
        <div key={stage} className="task-stage">
          <h3>{stage}</h3>
          <ul className="list">
            {items
              .filter((t) => t.stage === stage)
              .map((task) => (
                <li key={task.id}>
                  <Checkbox label={task.title} checked={task.done} disabled={!can('incidents.write') || toggle.busy} onChange={() => void toggle.run(task)} />
                  <div className="muted small">
                    {task.done ? (
                      <>
                        done by {personName(task.doneBy)} <Time at={task.doneAt} relative />
                      </>
                    ) : (
                      <>
                        due <Time at={task.dueAt} relative />
                      </>
                    )}
                  </div>
                </li>
              ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
