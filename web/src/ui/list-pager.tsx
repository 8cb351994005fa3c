// The Pager as every paged list uses it: the API's answer says how many there are and where
// the next page starts; the list's paging state moves between pages.
import { Pager } from "./components";
import type { Paging } from "./paging";

/** One page of a List* answer, as the pager needs it. */
export interface PageAnswer {
  /** How many items match, over all pages. */
  totalCount: number;
  /** Where the next page starts ("" on the last page). */
  nextPageToken: string;
}

/** Previous/next for a list shown `shown` rows of `page` at a time, moving `paging`. */
export function ListPager(props: { paging: Paging; page: PageAnswer; shown: number }) {
  return (
    <Pager
      total={props.page.totalCount}
      shown={props.shown}
      hasPrevious={props.paging.hasPrevious}
      nextToken={props.page.nextPageToken}
      onPrevious={props.paging.previous}
      onNext={props.paging.next}
    />
  );
}
