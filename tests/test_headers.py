import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/no-such-page/", "/static/css/site.css", "/admin/"])
def test_every_response_denies_the_browser_features_the_site_does_not_use(client, url):
    policy = client.get(url)["Permissions-Policy"]
    features = dict(item.strip().split("=") for item in policy.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort",
                    "browsing-topics"):  # fmt: skip
        assert features[feature] == "()", feature
