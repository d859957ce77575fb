// Article body preview in the admin: sends the Markdown to the server's one renderer and shows
// the result in a frame that has the site's own stylesheet, so it reads as the article will.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".md-preview__button");
  if (!button) return;
  const box = button.closest(".md-preview");
  const form = button.closest("form");
  const status = box.querySelector(".md-preview__status");
  const frame = box.querySelector(".md-preview__frame");
  const body = new FormData();
  body.append("body", form.querySelector("textarea[name=body]").value);
  status.textContent = "Rendering…";
  try {
    const response = await fetch(box.dataset.previewUrl, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(response.statusText);
    // A whole page of sanitised HTML from the pipeline the public page uses; the frame is
    // sandboxed without scripts.
    frame.addEventListener(
      "load",
      () => {
        frame.style.height = frame.contentDocument.documentElement.scrollHeight + "px";
        status.textContent = "";
      },
      { once: true },
    );
    frame.srcdoc = await response.text();
    frame.hidden = false;
  } catch (error) {
    status.textContent = "Preview failed: " + error.message;
  }
});
