// A draft's slug follows its title until someone edits the slug by hand. Django's own
// prepopulation stops once an article is saved, which is right for a live article (its address
// is out in the world) and wrong for a draft still being retitled. The form marks the slug
// input with data-follows-title only for such a draft.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const slug = document.querySelector("input[name=slug][data-follows-title]");
  const title = document.querySelector("input[name=title]");
  if (!slug || !title || typeof window.URLify !== "function") return;
  let edited = false;
  slug.addEventListener("input", () => {
    edited = true;
  });
  title.addEventListener("input", () => {
    if (!edited) slug.value = window.URLify(title.value, slug.maxLength > 0 ? slug.maxLength : 50, false);
  });
});
